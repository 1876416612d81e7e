import assert from 'node:assert/strict'
import {Readable} from 'node:stream'
import {setTimeout as sleep} from 'node:timers/promises'
import {request, startTestServer, type TestServer} from '../helpers/test-server.js'
import {trickle} from './hostile-helpers.js'

// Issue 11, item 3: a token revoked while its import streams stops that import: 401, nothing
// applied. Before, the import went on and was acknowledged 200 with every pair.

describe('hostile clients: revoking a token stops an import already streaming with it', function () {
  this.timeout(30_000)
  let server: TestServer

  beforeEach(async function () {
    server = await startTestServer()
  })

  afterEach(async function () {
    await server.close()
  })

  async function importWith(token: string, body: Readable): Promise<{status: number; text: string; ms: number}> {
    const start = Date.now()
    const response = await server.http.request({
      method: 'POST',
      path: '/api/key-value-stores/data/import',
      headers: {authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson'},
      body,
    })
    return {status: response.statusCode, text: await response.body.text(), ms: Date.now() - start}
  }

  const keyCount = async (token: string) => (await request(server, 'GET', '/api/key-value-stores/data/keys?limit=10000', {token})).json<{keys: string[]}>().keys.length

  it('answers 401 soon after the revoke (the server reads on for a moment at most), and applies none of it', async function () {
    const leaked = server.token('victim')
    const admin = server.token('victim')
    assert.equal((await request(server, 'POST', '/api/key-value-stores/data', {token: admin.token, json: null})).status, 201)
    let revokedAt = 0
    let linesAfterRevoke = 0
    // 4000 pairs over about 4 s; revoked after 1 s of streaming.
    const result = await importWith(leaked.token, trickle('k', 4000, 1, (line) => {
      if (revokedAt) linesAfterRevoke++
      if (line === 1000) {
        server.revoke(leaked.id)
        revokedAt = Date.now()
      }
    }))
    assert.equal(result.status, 401, result.text)
    assert.match(JSON.parse(result.text).detail, /revoked/)
    assert.equal(await keyCount(admin.token), 0, 'nothing of the import was applied')
    assert.ok(linesAfterRevoke < 3000, `the server kept reading for ${linesAfterRevoke} lines after the revoke`)
  })

  it('checks the token once more before it publishes: revoked while the last batch was in flight, 401 and nothing applied', async function () {
    const leaked = server.token('victim')
    const admin = server.token('victim')
    assert.equal((await request(server, 'POST', '/api/key-value-stores/data', {token: admin.token, json: null})).status, 201)
    // Few pairs, one batch: the revoke lands after the last line was sent, before the body ends.
    const body = Readable.from((async function* () {
      for (let line = 1; line <= 50; line++) yield Buffer.from(JSON.stringify({key: `late${line}`, value: 'v'}) + '\n')
      await sleep(300)
      server.revoke(leaked.id)
      await sleep(50)
    })())
    const result = await importWith(leaked.token, body)
    assert.equal(result.status, 401, result.text)
    assert.equal(await keyCount(admin.token), 0)
  })

  it('ends a stalled upload soon after its token is revoked, without waiting for more bytes, and frees its store for the next import', async function () {
    const leaked = server.token('victim')
    const admin = server.token('victim')
    assert.equal((await request(server, 'POST', '/api/key-value-stores/data', {token: admin.token, json: null})).status, 201)
    let stallEnded = false
    const body = Readable.from((async function* () {
      for (let line = 1; line <= 10; line++) yield Buffer.from(JSON.stringify({key: `stalled${line}`, value: 'v'}) + '\n')
      // Then nothing for 5 s: the server must not wait for the next byte to notice the revoke.
      await sleep(500)
      server.revoke(leaked.id)
      await sleep(4500)
      stallEnded = true
    })())
    const result = await importWith(leaked.token, body)
    assert.equal(result.status, 401, result.text)
    assert.equal(stallEnded, false, 'the 401 came only after the client sent again')
    // The store is free again at once: the next import is not held up by the revoked one.
    const next = await importWith(admin.token, Readable.from([Buffer.from('{"key":"after","value":"v"}\n')]))
    assert.equal(next.status, 200, next.text)
    assert.equal(await keyCount(admin.token), 1)
  })

  it('lets an import whose token stays valid finish, however slowly it streams', async function () {
    const {token} = server.token('patient')
    assert.equal((await request(server, 'POST', '/api/key-value-stores/data', {token, json: null})).status, 201)
    const result = await importWith(token, trickle('k', 30, 60))
    assert.equal(result.status, 200, result.text)
    assert.deepEqual(JSON.parse(result.text), {count: 30})
    assert.equal(await keyCount(token), 30)
  })
})
