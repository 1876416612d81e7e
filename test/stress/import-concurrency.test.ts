import assert from 'node:assert/strict'
import type {Readable} from 'node:stream'
import {setTimeout as sleep} from 'node:timers/promises'
import {request, startTestServer, type TestServer} from '../helpers/test-server.js'
import {trickle} from './hostile-helpers.js'

// Issue 11, item 6: one trickling upload held up every other import of its account (queued for
// as long as it took, up to the 600 s request timeout). Imports into different stores of one
// account now run side by side; two into one store still serialise, with a bounded wait and then
// a clear 409.

describe('hostile clients: imports of one account run side by side, one store at a time', function () {
  this.timeout(30_000)
  let server: TestServer
  let token: string

  beforeEach(async function () {
    server = await startTestServer({importWaitMs: 700})
    token = server.token('team').token
    for (const store of ['slow', 'quick']) {
      assert.equal((await request(server, 'POST', `/api/key-value-stores/${store}`, {token, json: null})).status, 201)
    }
  })

  afterEach(async function () {
    await server.close()
  })

  async function importInto(store: string, body: Readable): Promise<{status: number; body: Record<string, unknown>; endedAt: number}> {
    const response = await server.http.request({
      method: 'POST',
      path: `/api/key-value-stores/${store}/import`,
      headers: {authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson'},
      body,
    })
    const text = await response.body.text()
    return {status: response.statusCode, body: JSON.parse(text) as Record<string, unknown>, endedAt: Date.now()}
  }

  const keys = async (store: string) => (await request(server, 'GET', `/api/key-value-stores/${store}/keys?limit=10000`, {token})).json<{keys: string[]}>().keys

  it('finishes a quick import into another store while a trickling one is still uploading', async function () {
    const slow = importInto('slow', trickle('s', 30, 100)) // about 3 s
    await sleep(300)
    const startedAt = Date.now()
    const quick = await importInto('quick', trickle('q', 500, 0))
    assert.equal(quick.status, 200, JSON.stringify(quick.body))
    assert.deepEqual(quick.body, {count: 500})
    const slowDone = await slow
    assert.equal(slowDone.status, 200)
    assert.ok(quick.endedAt < slowDone.endedAt, `the quick import ended ${slowDone.endedAt - quick.endedAt} ms after the slow one`)
    assert.ok(quick.endedAt - startedAt < 2000, `the quick import took ${quick.endedAt - startedAt} ms`)
    assert.equal((await keys('quick')).length, 500)
    assert.equal((await keys('slow')).length, 30)
  })

  it('the same store reached by its name and by an app\'s label is one store: the second import waits, then gets 409', async function () {
    const deploy = await request(server, 'POST', '/api/apps/shop/deploy', {
      token, json: {components: [{id: 'c', keyValueStores: ['default'], sqliteDatabases: []}], links: [{label: 'default', store: 'slow', create: false}]},
    })
    assert.equal(deploy.status, 200, deploy.text)
    const slow = importInto('slow', trickle('s', 30, 100))
    await sleep(300)
    const startedAt = Date.now()
    const response = await server.http.request({
      method: 'POST',
      path: '/api/apps/shop/labels/default/import',
      headers: {authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson'},
      body: trickle('second', 10, 0),
    })
    const text = await response.body.text()
    const waited = Date.now() - startedAt
    assert.equal(response.statusCode, 409, text)
    assert.match(JSON.parse(text).detail, /Another import into key value store "slow" is in progress/)
    assert.ok(waited >= 600 && waited < 2500, `refused after ${waited} ms (the wait is 700 ms)`)
    assert.equal((await slow).status, 200)
    const stored = await keys('slow')
    assert.equal(stored.length, 30)
    assert.ok(!stored.some((key) => key.startsWith('second')), 'nothing of the refused import was applied')
  })

  it('a second import into one store that comes while a short one runs waits for it and then runs', async function () {
    const first = importInto('slow', trickle('a', 3, 100)) // about 300 ms, under the wait
    await sleep(50)
    const second = await importInto('slow', trickle('b', 5, 0))
    assert.equal(second.status, 200, JSON.stringify(second.body))
    assert.equal((await first).status, 200)
    assert.equal((await keys('slow')).length, 8)
  })
})

describe('hostile clients: imports share a server-wide memory budget', function () {
  this.timeout(30_000)

  it('lets in only as many imports as its budget holds: the next waits, then gets 503 with Retry-After; nothing is lost', async function () {
    // A budget of exactly one import's share.
    const server = await startTestServer({maxImportMemoryBytes: 1, importWaitMs: 700})
    try {
      const {token} = server.token('team')
      for (const store of ['slow', 'quick']) {
        assert.equal((await request(server, 'POST', `/api/key-value-stores/${store}`, {token, json: null})).status, 201)
      }
      const importInto = async (store: string, body: Readable) => {
        const response = await server.http.request({
          method: 'POST', path: `/api/key-value-stores/${store}/import`, headers: {authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson'}, body,
        })
        return {status: response.statusCode, headers: response.headers, text: await response.body.text()}
      }
      const slow = importInto('slow', trickle('s', 20, 100)) // about 2 s
      await sleep(300)
      const refused = await importInto('quick', trickle('q', 10, 0))
      assert.equal(refused.status, 503, refused.text)
      assert.equal(refused.headers['retry-after'], '5')
      assert.match(JSON.parse(refused.text).detail, /busy with other imports/)
      assert.equal((await slow).status, 200)
      // With the budget free again, the same import goes through.
      const again = await importInto('quick', trickle('q', 10, 0))
      assert.equal(again.status, 200, again.text)
      const keys = async (store: string) => (await request(server, 'GET', `/api/key-value-stores/${store}/keys`, {token})).json<{keys: string[]}>().keys.length
      assert.deepEqual([await keys('slow'), await keys('quick')], [20, 10])
    } finally {
      await server.close()
    }
  })
})
