import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {connect, type Socket} from 'node:net'
import {networkInterfaces} from 'node:os'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'
import type {Pair} from '../../src/lib/backend.js'
import {KvError} from '../../src/lib/errors.js'
import {HttpBackend} from '../../src/lib/http/http-backend.js'
import {AccountRegistry} from '../../src/lib/sqlite/accounts.js'
import {buildServer} from '../../src/lib/server/build-server.js'
import {discardRestOfBody} from '../../src/lib/server/discard-body.js'
import {DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, DEFAULT_REQUEST_TIMEOUT_MS} from '../../src/lib/server/limits.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'
import {tempHome} from '../helpers/cli.js'
import {startServerProcess} from '../helpers/server-process.js'
import {request, startTestServer, type TestServer} from '../helpers/test-server.js'
import {enumerateRoutes, requestFor} from './routes.js'

interface RawOutcome {
  /** Everything the server sent before it closed the socket (or before the wait ended). */
  text: string
  closed: boolean
  ms: number
}

/** A raw TCP connection, so a test can send exactly the bytes (or the silence) it wants. */
function rawSocket(url: string): Promise<Socket> {
  const {hostname, port} = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket))
    socket.once('error', reject)
  })
}

/** Waits until the server closes the socket, `waitMs` passes, or what it sent matches `until`. */
function outcome(socket: Socket, waitMs: number, until?: RegExp): Promise<RawOutcome> {
  const start = Date.now()
  let text = ''
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({text, closed: false, ms: Date.now() - start}), waitMs)
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1')
      if (until?.test(text)) {
        clearTimeout(timer)
        resolve({text, closed: socket.destroyed, ms: Date.now() - start})
      }
    })
    socket.on('error', () => {})
    socket.once('close', () => {
      clearTimeout(timer)
      resolve({text, closed: true, ms: Date.now() - start})
    })
  })
}

/** A whole answer: its head and, for the small bodies these tests expect, the JSON body. */
const ANSWER = /^HTTP\/1\.1 \d{3} [^\r]*\r\n[\s\S]*\r\n\r\n[\s\S]*\}$/

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('bounded: request bodies, connections and their time, on every route', function () {
  this.timeout(30_000)

  it('has limits on connections and their time by default, set on the HTTP server itself', async function () {
    const {home, cleanup} = tempHome('kvcloud-defaults-')
    const app = buildServer({dataDir: join(home, 'data')})
    try {
      // Not Node's maxConnections, which refuses newcomers: the guard sheds old idle connections instead.
      assert.equal(app.server.maxConnections, undefined)
      assert.equal(app.server.headersTimeout, DEFAULT_HEADERS_TIMEOUT_MS)
      assert.equal(app.server.timeout, DEFAULT_IDLE_TIMEOUT_MS)
      assert.equal(app.server.requestTimeout, DEFAULT_REQUEST_TIMEOUT_MS)
      assert.ok(app.server.keepAliveTimeout > 0)
      for (const value of [DEFAULT_MAX_CONNECTIONS, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS]) assert.ok(Number.isFinite(value) && value > 0)
    } finally {
      await app.close()
      cleanup()
    }
  })

  describe('request bodies', function () {
    const limits = {maxKeyBytes: 64, maxValueBytes: 1024, maxRequestBytes: 8 * 1024, maxImportBytes: 64 * 1024}
    let server: TestServer
    let token: string

    before(async function () {
      server = await startTestServer(limits)
      token = server.token('bodies').token
      assert.equal((await request(server, 'POST', '/api/key-value-stores/data', {token, json: null})).status, 201)
    })

    after(async function () {
      await server.close()
    })

    it('answers 413 to a body over its limit on every route that takes one, JSON or raw bytes alike', async function () {
      const routes = (await enumerateRoutes(server.app)).filter((route) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method))
      assert.ok(routes.length >= 20, `${routes.length} routes take a body`)
      const tooBigJson = JSON.stringify({pairs: [{key: 'k', value: 'x'.repeat(limits.maxRequestBytes)}]})
      const tooBigBytes = Buffer.alloc(limits.maxRequestBytes + 1, 120)
      for (const route of routes) {
        const {path} = requestFor(route, {store: 'data', app: 'shop', label: 'default', key: 'k'})
        for (const [body, contentType] of [[tooBigJson, 'application/json'], [tooBigBytes, 'application/octet-stream'], [tooBigBytes.toString(), 'text/plain']] as const) {
          const answer = await request(server, route.method, path, {token, body, contentType})
          assert.equal(answer.status, 413, `${route.method} ${route.url} with ${contentType}: ${answer.status} ${answer.text}`)
        }
      }
      // The value route has the value limit, well under the request limit.
      const value = await request(server, 'PUT', '/api/key-value-stores/data/keys/k', {token, body: Buffer.alloc(limits.maxValueBytes + 1), contentType: 'application/octet-stream'})
      assert.equal(value.status, 413)
      assert.deepEqual((await request(server, 'GET', '/api/key-value-stores/data/keys', {token})).json(), {keys: []})
    })

    it('answers 413 at once to a declared Content-Length over the limit, before any of the body is sent', async function () {
      const cases = [
        ['POST', '/api/key-value-stores/data/pairs', 'application/json', limits.maxRequestBytes + 1],
        ['PUT', '/api/key-value-stores/data/keys/k', 'application/octet-stream', limits.maxValueBytes + 1],
        ['POST', '/api/key-value-stores/data/import', 'application/x-ndjson', limits.maxImportBytes + 1],
        ['POST', '/api/key-value-stores/data/import', 'application/x-ndjson', 10 ** 12],
      ] as const
      for (const [method, path, contentType, length] of cases) {
        const socket = await rawSocket(server.url)
        socket.write(`${method} ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: ${contentType}\r\nContent-Length: ${length}\r\n\r\n`)
        const result = await outcome(socket, 3000, ANSWER)
        socket.destroy()
        assert.match(result.text, /^HTTP\/1\.1 413 /, `${method} ${path} declaring ${length} bytes: ${JSON.stringify(result.text.slice(0, 200))}`)
      }
    })

    it('answers 401 to an upload without a token before reading its body', async function () {
      const socket = await rawSocket(server.url)
      socket.write(`POST /api/key-value-stores/data/import HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: ${10 ** 9}\r\n\r\n`)
      const result = await outcome(socket, 3000, ANSWER)
      socket.destroy()
      assert.match(result.text, /^HTTP\/1\.1 401 /)
      assert.ok(result.ms < 1000, `answered after ${result.ms} ms`)
    })

    it('reads away what a refused client still sends for a moment, then cuts off one that will not stop', async function () {
      const socketOf = () => {
        const fake = {destroyedAt: undefined as number | undefined, destroy: () => void (fake.destroyedAt = Date.now())}
        return fake
      }
      const started = Date.now()
      const endless = new PassThrough()
      const endlessSocket = socketOf()
      discardRestOfBody(endless, endlessSocket as unknown as Socket, 300)
      const pump = setInterval(() => endless.write(Buffer.alloc(64 * 1024)), 10)
      const finished = new PassThrough()
      const finishedSocket = socketOf()
      discardRestOfBody(finished, finishedSocket as unknown as Socket, 300)
      finished.end(Buffer.alloc(1024))
      await sleep(800)
      clearInterval(pump)
      assert.equal(endless.readableFlowing, true, 'what arrives is read and thrown away')
      assert.ok(endlessSocket.destroyedAt !== undefined && endlessSocket.destroyedAt - started < 700, 'the endless sender is cut off after the grace time')
      assert.equal(finishedSocket.destroyedAt, undefined, 'a client that finished sending keeps its connection')
    })

    it('cuts an endless NDJSON import off at the import limit with 413, and imports none of it', async function () {
      const backend = await HttpBackend.connect({url: server.url, token, limits: DEFAULT_LIMITS})
      let sentBytes = 0
      async function* endless(): AsyncIterable<Pair[]> {
        for (let batch = 0; ; batch++) {
          const pairs = Array.from({length: 100}, (_, i) => ({key: `endless-${batch}-${i}`, value: Buffer.from('x'.repeat(100))}))
          sentBytes += pairs.length * 130
          yield pairs
        }
      }
      try {
        for (let round = 0; round < 3; round++) {
          sentBytes = 0
          await assert.rejects(backend.importPairs({store: 'data'}, endless()), (error: unknown) => {
            assert.ok(error instanceof KvError, String(error))
            assert.equal(error.kind, 'too-large', error.message)
            assert.match(error.message, new RegExp(`import is larger than this server's limit of ${limits.maxImportBytes} bytes`))
            assert.deepEqual(error.hints, [
              'Split the file and import the parts one after another.',
              `This server's limits: keys ${limits.maxKeyBytes} bytes, values ${limits.maxValueBytes} bytes, imports ${limits.maxImportBytes} bytes; its operator sets them with "kvcloud server start".`,
            ])
            return true
          })
          // The client stops soon after the limit: the server does not read on for ever.
          assert.ok(sentBytes < limits.maxImportBytes + 16 * 1024 * 1024, `${sentBytes} bytes sent`)
        }
        assert.deepEqual((await backend.listKeys({store: 'data'})).items, [])
        // The connection pool is still good for the next request.
        await backend.setValues({store: 'data'}, [{key: 'after', value: Buffer.from('ok')}])
        assert.equal(Buffer.from(await backend.getValue({store: 'data'}, 'after')).toString(), 'ok')
      } finally {
        await backend.close()
      }
    })
  })

  describe('connections', function () {
    it('holds at most maxConnections: when full it closes the oldest connection without a request in progress, not the newcomer, and keeps authenticated ones', async function () {
      const server = await startTestServer({maxConnections: 4, maxUnauthenticatedConnections: 3})
      const token = server.token('conn').token
      await server.http.close()
      const held: Socket[] = []
      const whoami = `GET /api/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`
      try {
        // One authenticated keep-alive connection, then three silent ones: the server is full.
        const authenticated = await rawSocket(server.url)
        held.push(authenticated)
        authenticated.write(whoami)
        assert.match((await outcome(authenticated, 3000, ANSWER)).text, /^HTTP\/1\.1 200 /)
        const silent = [await rawSocket(server.url), await rawSocket(server.url), await rawSocket(server.url)]
        held.push(...silent)
        const silentOutcomes = silent.map((socket) => outcome(socket, 3000))
        await sleep(100)
        // A newcomer pushes out the oldest silent one (no answer on it) and is served.
        const newcomer = await rawSocket(server.url)
        held.push(newcomer)
        newcomer.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
        assert.match((await outcome(newcomer, 3000, ANSWER)).text, /^HTTP\/1\.1 200 /)
        const oldest = await silentOutcomes[0]!
        assert.deepEqual([oldest.closed, oldest.text], [true, ''], 'the oldest silent connection was closed, with no answer')
        // The authenticated one is still there and still works.
        authenticated.write(whoami)
        assert.match((await outcome(authenticated, 3000, ANSWER)).text, /^HTTP\/1\.1 200 /)

        // When every connection has a request in progress (bodies still arriving), a newcomer is refused.
        for (const socket of held) socket.destroy()
        held.length = 0
        await sleep(100)
        for (let i = 0; i < 4; i++) {
          const busy = await rawSocket(server.url)
          busy.write(`PUT /api/key-value-stores/none/keys/k HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/octet-stream\r\nContent-Length: 100\r\n\r\nx`)
          held.push(busy)
        }
        await sleep(100)
        const refused = await rawSocket(server.url)
        refused.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
        assert.deepEqual(await outcome(refused, 3000).then((result) => [result.closed, result.text]), [true, ''], 'no answer on a connection over the limit')
        // HttpBackend on a full server: a clear error naming the URL.
        const backend = await HttpBackend.connect({url: server.url, token, limits: DEFAULT_LIMITS, retries: {maxRetries: 1, minTimeoutMs: 10}})
        try {
          await assert.rejects(backend.createStore('full'), (error: unknown) =>
            error instanceof KvError && error.kind === 'unavailable' && error.message.includes(`Cannot reach the kvcloud server at ${server.url}`))
          for (const socket of held) socket.destroy()
          await sleep(100)
          await backend.createStore('room-again')
        } finally {
          await backend.close()
        }
        const notes = server.logLines.filter((line) => line.level === 40).map((line) => [line.msg, line.maxConnections])
        assert.deepEqual(notes, [
          ['connection closed to make room: the server holds its maximum number of unauthenticated connections; the oldest one without a request in progress was closed', 4],
          ['connection refused: every connection the server holds has a request in progress', 4],
        ])
      } finally {
        for (const socket of held) socket.destroy()
        await server.app.close()
      }
    })

    it('closes a connection whose headers have not all arrived within the headers timeout, however steadily they trickle', async function () {
      const server = await startTestServer({headersTimeoutMs: 1000, idleTimeoutMs: 10_000})
      try {
        const socket = await rawSocket(server.url)
        const header = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 's'.repeat(1000)
        let sent = 0
        const trickle = setInterval(() => socket.writable && socket.write(header[sent++]!), 100)
        const result = await outcome(socket, 8000)
        clearInterval(trickle)
        assert.match(result.text, /^HTTP\/1\.1 408 /, JSON.stringify(result.text))
        assert.equal(result.closed, true)
        assert.ok(result.ms < 3000, `${result.ms} ms`)
      } finally {
        await server.close()
      }
    })

    it('closes a connection that stays silent, before or in the middle of its request line', async function () {
      const server = await startTestServer({idleTimeoutMs: 300})
      try {
        const silent = await rawSocket(server.url)
        const half = await rawSocket(server.url)
        half.write('GET /api/who')
        const [a, b] = await Promise.all([outcome(silent, 5000), outcome(half, 5000)])
        assert.equal(a.closed, true, 'a socket that never sends a byte is closed')
        assert.equal(b.closed, true, 'a socket that stops halfway is closed')
        assert.ok(a.ms < 3000 && b.ms < 3000, `${a.ms} ms, ${b.ms} ms`)
      } finally {
        await server.close()
      }
    })

    it('answers 408 to a request whose body trickles in slower than the request timeout, and stores nothing', async function () {
      const server = await startTestServer({requestTimeoutMs: 1000, idleTimeoutMs: 10_000})
      const token = server.token('slow').token
      try {
        assert.equal((await request(server, 'POST', '/api/key-value-stores/data', {token, json: null})).status, 201)
        const socket = await rawSocket(server.url)
        socket.write(`PUT /api/key-value-stores/data/keys/slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n`)
        const trickle = setInterval(() => socket.writable && socket.write('x'), 100)
        const result = await outcome(socket, 8000)
        clearInterval(trickle)
        socket.destroy()
        assert.match(result.text, /^HTTP\/1\.1 408 /, JSON.stringify(result.text))
        assert.equal(result.closed, true)
        assert.ok(result.ms < 5000, `${result.ms} ms`)
        assert.equal((await request(server, 'GET', '/api/key-value-stores/data/keys/slow', {token})).status, 404)
      } finally {
        await server.close()
      }
    })
  })

  describe('the real binary', function () {
    this.timeout(60_000)

    it('listens on 127.0.0.1 unless told otherwise, says nothing about it then, and honours --max-connections and --idle-timeout', async function () {
      const {home, cleanup} = tempHome('kvcloud-bind-')
      const server = await startServerProcess(['--port', '0', '--data', join(home, 'data'), '--max-connections', '2', '--idle-timeout', '1'], {home})
      try {
        const {hostname, port} = new URL(server.url)
        assert.equal(hostname, '127.0.0.1')
        assert.doesNotMatch(server.stderr(), /Note:/)
        const outside = Object.values(networkInterfaces()).flat().find((address) => address && address.family === 'IPv4' && !address.internal)
        if (outside) {
          const refused = await new Promise<string>((resolve) => {
            const socket = connect(Number(port), outside.address)
            socket.once('connect', () => {
              socket.destroy()
              resolve('connected')
            })
            socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
          })
          assert.equal(refused, 'ECONNREFUSED', `connecting through ${outside.address}`)
        } else {
          console.log('      (this machine has no non-loopback IPv4 address; the "refused from outside" check did not run)')
        }
        const held = [await rawSocket(server.url), await rawSocket(server.url)]
        const heldOutcomes = held.map((socket) => outcome(socket, 5000))
        await sleep(100)
        // Full: the newcomer is served and the oldest silent connection closed to make room.
        const third = await rawSocket(server.url)
        third.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        assert.match(await outcome(third, 3000).then((r) => r.text), /^HTTP\/1\.1 200 /)
        const [oldest, idle] = await Promise.all(heldOutcomes)
        assert.ok(oldest!.closed && oldest!.ms < 1000, `the oldest was closed at once (${oldest!.ms} ms)`)
        assert.ok(idle!.closed, 'closed by the 1 s idle timeout')
      } finally {
        await server.stop('SIGTERM')
        cleanup()
      }
    })

    it('keeps its memory flat while clients send endless imports that it cuts off with 413', async function () {
      if (process.platform !== 'linux') {
        console.log('      (reads the server\'s memory from /proc: Linux only; not measured on this platform)')
        this.skip()
      }
      const {home, cleanup} = tempHome('kvcloud-endless-')
      const dataDir = join(home, 'data')
      const importLimit = 8 * 1024 * 1024
      const server = await startServerProcess(['--port', '0', '--data', dataDir, '--max-import-bytes', String(importLimit), '--log-level', 'warn'], {home})
      const rssMb = () => {
        const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8')
        return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024
      }
      try {
        const token = createToken(dataDir, 'endless')
        const backend = await HttpBackend.connect({url: server.url, token, limits: DEFAULT_LIMITS})
        await backend.createStore('endless')
        const endlessImport = async () => {
          async function* endless(): AsyncIterable<Pair[]> {
            for (let batch = 0; ; batch++) yield Array.from({length: 500}, (_, i) => ({key: `e-${batch}-${i}-${'k'.repeat(40)}`, value: Buffer.alloc(200, 97)}))
          }
          await assert.rejects(backend.importPairs({store: 'endless'}, endless()), (error: unknown) => error instanceof KvError && error.kind === 'too-large')
        }
        await endlessImport()
        const baseline = rssMb()
        for (let round = 0; round < 6; round++) await endlessImport()
        const after = rssMb()
        assert.deepEqual((await backend.listKeys({store: 'endless'})).items, [])
        await backend.close()
        console.log(`      server RSS: ${baseline.toFixed(0)} MB after one endless import, ${after.toFixed(0)} MB after six more (${(6 * importLimit / 1024 / 1024).toFixed(0)} MiB refused)`)
        assert.ok(after - baseline < 40, `RSS grew from ${baseline.toFixed(0)} MB to ${after.toFixed(0)} MB`)
      } finally {
        await server.stop('SIGTERM')
        cleanup()
      }
    })
  })
})

function createToken(dataDir: string, account: string): string {
  const registry = AccountRegistry.open(dataDir)
  try {
    return registry.createToken(account).token
  } finally {
    registry.close()
  }
}
