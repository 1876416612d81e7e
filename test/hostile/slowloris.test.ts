import assert from 'node:assert/strict'
import {connect, type Socket} from 'node:net'
import {setTimeout as sleep} from 'node:timers/promises'
import {Client} from 'undici'
import {startTestServer, type TestServer} from '../server/test-server.js'

// Issue 11, item 1: 1000 unauthenticated sockets sending one header byte a second filled
// --max-connections, and for as long as they held on every legitimate request was refused.
// Here they hold on (reconnecting a second after the server closes one), on a server with its
// default limits, while a legitimate client opens a new connection every 0.5 s.

const SLOW_SOCKETS = 1000
const ATTACK_MS = 11_000

interface Attack {
  /** Connections the attacker opened in all (first ones and reconnections). */
  opened: number
  stop(): void
}

/** Keeps `count` sockets open that send one byte of a request's headers a second, never finishing them. */
function slowHeaders(url: string, count: number): Attack {
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
async function freshConnectionAnswers(url: string, token: string): Promise<boolean> {
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

describe('hostile clients: slow-header sockets do not lock anyone out', function () {
  this.timeout(60_000)
  let server: TestServer

  before(async function () {
    server = await startTestServer()
  })

  after(async function () {
    await server.close()
  })

  it(`serves a client that opens a new connection every 0.5 s at least 9 times in 10 beside ${SLOW_SOCKETS} slow sockets, from the first second on`, async function () {
    const {token} = server.token('legit')
    // An authenticated keep-alive connection made before the attack: never pushed out by it.
    const keptAlive = new Client(server.url, {pipelining: 1})
    const first = await keptAlive.request({method: 'GET', path: '/api/whoami', headers: {authorization: `Bearer ${token}`}})
    await first.body.dump()
    let keptAliveConnects = 0
    keptAlive.on('connect', () => keptAliveConnects++)

    const attack = slowHeaders(server.url, SLOW_SOCKETS)
    const started = Date.now()
    const attempts: Array<Promise<boolean>> = []
    const keptAliveAnswers: boolean[] = []
    try {
      await sleep(1000)
      while (Date.now() - started < ATTACK_MS) {
        attempts.push(freshConnectionAnswers(server.url, token))
        keptAlive.request({method: 'GET', path: '/api/whoami', headers: {authorization: `Bearer ${token}`}}).then(
          async (response) => {
            await response.body.dump()
            keptAliveAnswers.push(response.statusCode === 200)
          },
          () => keptAliveAnswers.push(false),
        )
        await sleep(500)
      }
      const answered = (await Promise.all(attempts)).filter(Boolean).length
      await sleep(500)
      console.log(`      ${answered} of ${attempts.length} fresh connections answered; ${keptAliveAnswers.filter(Boolean).length} of ` +
        `${keptAliveAnswers.length} on the kept-alive one; the attacker opened ${attack.opened} connections`)
      assert.ok(answered >= Math.ceil(attempts.length * 0.9), `${answered} of ${attempts.length} answered`)
      assert.ok(keptAliveAnswers.length >= attempts.length - 1 && keptAliveAnswers.every(Boolean), `kept-alive: ${keptAliveAnswers.join(' ')}`)
      assert.equal(keptAliveConnects, 0, 'the authenticated keep-alive connection was never closed')
      const note = server.logLines.find((line) => typeof line.msg === 'string' && line.msg.startsWith('connection closed to make room'))
      assert.ok(note, 'the server logs that it sheds connections')
    } finally {
      attack.stop()
      await keptAlive.destroy()
    }
  })
})
