// What the hostile-client tests and the soak (test/soak/hostile-soak.ts) attack the server with.
import {readFileSync} from 'node:fs'
import {createServer, connect, type Server, type Socket} from 'node:net'
import {Readable} from 'node:stream'
import {setTimeout as sleep} from 'node:timers/promises'
import {Client} from 'undici'
import type {Pair} from '../../src/lib/backend.js'
import type {ServerProcess} from '../helpers/server-process.js'

const MiB = 1024 * 1024

export interface Attack {
  /** Connections the attacker opened in all (first ones and reconnections). */
  opened: number
  stop(): void
}

/** Keeps `count` sockets open that send one byte of a request's headers a second, never finishing them. */
export function slowHeaders(url: string, count: number): Attack {
  const {hostname, port} = new URL(url)
  const header = `GET /api/whoami HTTP/1.1\r\nHost: ${hostname}\r\nX-Slow: ${'s'.repeat(10_000)}`
  const sockets = new Set<Socket>()
  let stopped = false
  const attack: Attack = {opened: 0, stop: () => {
    stopped = true
    for (const socket of sockets) socket.destroy()
  }}
  const open = () => {
    if (stopped) return
    attack.opened++
    const socket = connect(Number(port), hostname)
    sockets.add(socket)
    let sent = 0
    const drip = setInterval(() => {
      if (socket.writable) socket.write(header[sent++ % header.length]!)
    }, 1000)
    socket.on('error', () => {})
    socket.on('close', () => {
      clearInterval(drip)
      sockets.delete(socket)
      // A second later, like an attacker that keeps its count up.
      if (!stopped) setTimeout(open, 1000)
    })
  }
  for (let i = 0; i < count; i++) open()
  return attack
}

/** One request on a connection of its own: true when it is answered 200 within the time. */
export async function freshConnectionAnswers(url: string, token: string): Promise<boolean> {
  const client = new Client(url, {connect: {timeout: 3000}, headersTimeout: 3000, bodyTimeout: 3000, pipelining: 0})
  try {
    const response = await client.request({method: 'GET', path: '/api/whoami', headers: {authorization: `Bearer ${token}`}})
    await response.body.dump()
    return response.statusCode === 200
  } catch {
    return false
  } finally {
    await client.destroy()
  }
}

export interface DroppingProxy {
  url: string
  /** The next answer to a request whose method is this one is swallowed and the connection cut. */
  dropNextAnswerTo(method: string): void
  /** Requests the server received through the proxy, by request line. */
  requests: string[]
  close(): Promise<void>
}

export async function droppingProxy(target: string): Promise<DroppingProxy> {
  const {hostname, port} = new URL(target)
  let dropMethod: string | undefined
  const requests: string[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = connect(Number(port), hostname)
    sockets.add(client).add(upstream)
    let dropThisAnswer = false
    client.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('latin1').split('\r\n')) {
        const request = /^(GET|PUT|POST|PATCH|DELETE|HEAD) \S+ HTTP\/1\.1$/.exec(line)
        if (!request) continue
        requests.push(line)
        if (request[1] === dropMethod) {
          dropThisAnswer = true
          dropMethod = undefined
        }
      }
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      if (dropThisAnswer) {
        // The server did the work and answered; the client never hears of it.
        client.destroy()
        upstream.destroy()
        return
      }
      client.write(chunk)
    })
    const end = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('close', end).on('error', end)
    upstream.on('close', end).on('error', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as {port: number}
  return {
    url: `http://127.0.0.1:${address.port}`,
    dropNextAnswerTo: (method) => void (dropMethod = method),
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** The server process's resident memory in MB, now or at its peak while `work` runs (Linux: /proc). */
export function rssSampler(server: ServerProcess): {now(): number; peakSince(start: () => Promise<unknown>): Promise<number>} {
  const now = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))![1]) / 1024
  return {
    now,
    async peakSince(work) {
      let peak = now()
      const timer = setInterval(() => (peak = Math.max(peak, now())), 20)
      try {
        await work()
      } finally {
        clearInterval(timer)
      }
      return Math.max(peak, now())
    },
  }
}

/** `count` pairs of 1 MiB each (text values, so each is a 1 MiB line), in batches of 8. */
export async function* bigPairs(prefix: string, count: number): AsyncIterable<Pair[]> {
  for (let start = 0; start < count; start += 8) {
    yield Array.from({length: Math.min(8, count - start)}, (_, i) => ({key: `${prefix}-${start + i}`, value: Buffer.alloc(MiB, 97 + ((start + i) % 26))}))
  }
}

/** An NDJSON body of `lines` small pairs, one every `everyMs`, calling `at(line)` before each. */
export function trickle(prefix: string, lines: number, everyMs: number, at: (line: number) => void = () => {}): Readable {
  return Readable.from((async function* () {
    for (let line = 1; line <= lines; line++) {
      at(line)
      yield Buffer.from(JSON.stringify({key: `${prefix}${String(line).padStart(5, '0')}`, value: 'v'.repeat(100)}) + '\n')
      if (everyMs > 0) await sleep(everyMs)
    }
  })())
}
