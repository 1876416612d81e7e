// NDJSON as both ends of the wire read and write it: one entry per line.
import {isUtf8} from 'node:buffer'
import type {Limits, Pair} from '../backend.js'
import {InvalidInputError, TooLargeError} from '../errors.js'
import {formatEntry} from './entry.js'

export const NDJSON = 'application/x-ndjson'

/** One NDJSON line (with its newline) per pair. */
export function pairLines(pairs: Pair[]): string {
  let text = ''
  for (const pair of pairs) text += formatEntry(pair) + '\n'
  return text
}

/** The longest line a pair within these limits can take in NDJSON, with room for JSON escapes. */
export function maxPairLineBytes(limits: Limits): number {
  // A value is at worst base64 (4/3) or escaped text (\u00XX: 6 bytes per byte); keys likewise.
  return 6 * limits.maxKeyBytes + Math.max(Math.ceil(limits.maxValueBytes / 3) * 4, 6 * limits.maxValueBytes) + 64
}

/**
 * Cuts a byte stream into lines without holding more than one line (plus one chunk) in memory.
 * Empty lines are skipped; a line over `maxLineBytes` fails before it is buffered whole.
 */
export async function* ndjsonLines(source: AsyncIterable<Uint8Array>, maxLineBytes: number): AsyncGenerator<{text: string; line: number}> {
  let pending: Buffer[] = []
  let pendingBytes = 0
  let line = 0
  for await (const chunk of source) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    let start = 0
    for (let end = bytes.indexOf(10, start); end !== -1; end = bytes.indexOf(10, start)) {
      line++
      const piece = bytes.subarray(start, end)
      checkLength(pendingBytes + piece.length, line, maxLineBytes)
      const whole = pendingBytes > 0 ? Buffer.concat([...pending, piece]) : piece
      pending = []
      pendingBytes = 0
      start = end + 1
      const text = lineText(whole, line)
      if (text) yield {text, line}
    }
    if (start < bytes.length) {
      const rest = bytes.subarray(start)
      pendingBytes += rest.length
      checkLength(pendingBytes, line + 1, maxLineBytes)
      // Copy: the chunk's memory may be reused by the stream.
      pending.push(Buffer.from(rest))
    }
  }
  if (pendingBytes > 0) {
    line++
    const text = lineText(Buffer.concat(pending), line)
    if (text) yield {text, line}
  }
}

/** A line as text; bytes that are not UTF-8 fail, never turned into U+FFFD (which would merge keys). */
function lineText(bytes: Buffer, line: number): string {
  if (!isUtf8(bytes)) {
    throw new InvalidInputError(`Line ${line} of the NDJSON body is not valid UTF-8 text.`, [
      'Keys and text values must be UTF-8; give binary values as base64 with "base64": true.',
    ])
  }
  return bytes.toString('utf8').trim()
}

function checkLength(bytes: number, line: number, maxLineBytes: number): void {
  if (bytes > maxLineBytes) {
    throw new TooLargeError(`Line ${line} of the NDJSON body is over ${maxLineBytes} bytes, longer than any pair within the limits can be.`)
  }
}
