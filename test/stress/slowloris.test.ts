import assert from 'node:assert/strict'
import {setTimeout as sleep} from 'node:timers/promises'
import {Client} from 'undici'
import {startTestServer, type TestServer} from '../helpers/test-server.js'
import {freshConnectionAnswers, slowHeaders} from './hostile-helpers.js'

// Issue 11, item 1: 1000 unauthenticated sockets sending one header byte a second filled
// --max-connections, and for as long as they held on every legitimate request was refused.
// Here they hold on (reconnecting a second after the server closes one), on a server with its
// default limits, while a legitimate client opens a new connection every 0.5 s.

const SLOW_SOCKETS = 1000
const ATTACK_MS = 11_000

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
