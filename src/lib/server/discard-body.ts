import type {Socket} from 'node:net'
import type {Readable} from 'node:stream'

/** How long the client of a refused upload may go on sending before its connection is cut. */
export const DISCARD_GRACE_MS = 5_000

/**
 * Reads and throws away what the client of a refused upload is still sending, while the answer
 * goes out. Closing the socket on unread data resets the connection, and the client then sees
 * "connection closed" instead of the answer (a 413 naming the limit, a 400 naming the line).
 * Bounded by time, not bytes: a client busy writing may send a lot before it reads the answer;
 * one that will not stop is cut off after the grace time. Nothing read is kept.
 */
export function discardRestOfBody(body: Readable, socket: Socket, graceMs = DISCARD_GRACE_MS): void {
  if (body.readableEnded || body.destroyed) return
  const timer = setTimeout(() => socket.destroy(), graceMs)
  timer.unref()
  const stop = () => clearTimeout(timer)
  body.once('end', stop)
  body.once('close', stop)
  body.once('error', stop)
  body.resume()
}
