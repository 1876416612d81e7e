import assert from 'node:assert/strict'
import {request, startTestServer, type TestServer} from '../../helpers/test-server.js'

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** Every /api route, aimed at alice's store "data" and app "shop". */
const ROUTES: Array<{method: Method; path: string; json?: unknown; body?: string; contentType?: string}> = [
  {method: 'GET', path: '/api/whoami'},
  {method: 'GET', path: '/api/key-value-stores'},
  {method: 'GET', path: '/api/key-value-stores/data'},
  {method: 'POST', path: '/api/key-value-stores/data', json: null},
  {method: 'DELETE', path: '/api/key-value-stores/data'},
  {method: 'PATCH', path: '/api/key-value-stores/data/rename', json: 'other'},
  {method: 'POST', path: '/api/key-value-stores/data/links', json: {label: 'default', appId: 'shop'}},
  {method: 'DELETE', path: '/api/key-value-stores/data/links', json: {label: 'default', appId: 'shop'}},
  {method: 'POST', path: '/api/key-value-pairs', json: {storeName: 'data', key: 'k', value: 'v'}},
  {method: 'GET', path: '/api/key-value-stores/data/keys'},
  {method: 'GET', path: '/api/key-value-stores/data/keys/k'},
  {method: 'PUT', path: '/api/key-value-stores/data/keys/k', body: 'v', contentType: 'application/octet-stream'},
  {method: 'DELETE', path: '/api/key-value-stores/data/keys/k'},
  {method: 'POST', path: '/api/key-value-stores/data/pairs', json: {pairs: [{key: 'k', value: 'v'}]}},
  {method: 'POST', path: '/api/key-value-stores/data/delete-keys', json: {keys: ['k']}},
  {method: 'POST', path: '/api/key-value-stores/data/import', body: '{"key":"k","value":"v"}\n', contentType: 'application/x-ndjson'},
  {method: 'GET', path: '/api/key-value-stores/data/export'},
  {method: 'GET', path: '/api/apps'},
  {method: 'GET', path: '/api/apps/shop'},
  {method: 'DELETE', path: '/api/apps/shop'},
  {method: 'PUT', path: '/api/apps/shop/links/key-value/default', json: {store: 'data'}},
  {method: 'DELETE', path: '/api/apps/shop/links/key-value/default'},
  {method: 'POST', path: '/api/apps/shop/deploy', json: {components: [{id: 'web', keyValueStores: ['default'], sqliteDatabases: []}], links: [{label: 'default', store: 'data', create: false}]}},
  {method: 'GET', path: '/api/apps/shop/labels/default/keys'},
  {method: 'GET', path: '/api/apps/shop/labels/default/keys/k'},
  {method: 'PUT', path: '/api/apps/shop/labels/default/keys/k', body: 'v', contentType: 'application/octet-stream'},
  {method: 'DELETE', path: '/api/apps/shop/labels/default/keys/k'},
  {method: 'POST', path: '/api/apps/shop/labels/default/pairs', json: {pairs: [{key: 'k', value: 'v'}]}},
  {method: 'POST', path: '/api/apps/shop/labels/default/delete-keys', json: {keys: ['k']}},
  {method: 'POST', path: '/api/apps/shop/labels/default/import', body: '{"key":"k","value":"v"}\n', contentType: 'application/x-ndjson'},
  {method: 'GET', path: '/api/apps/shop/labels/default/export'},
  {method: 'GET', path: '/api/no-such-route'},
]

describe('server auth: every /api route needs a valid token, and accounts never see each other', function () {
  let server: TestServer
  let alice: {id: string; token: string}

  before(async function () {
    server = await startTestServer()
    alice = server.token('alice')
  })

  after(async function () {
    await server.close()
  })

  async function seedAlice(): Promise<void> {
    await request(server, 'POST', '/api/key-value-stores/data', {token: alice.token, json: null})
    const deployed = await request(server, 'POST', '/api/apps/shop/deploy', {
      token: alice.token,
      json: {components: [{id: 'web', keyValueStores: ['default'], sqliteDatabases: []}], links: [{label: 'default', store: 'data', create: false}]},
    })
    assert.equal(deployed.status, 200, deployed.text)
    const set = await request(server, 'PUT', '/api/key-value-stores/data/keys/k', {token: alice.token, body: 'secret', contentType: 'application/octet-stream'})
    assert.equal(set.status, 204, set.text)
  }

  it('answers /healthz without a token', async function () {
    const answer = await request(server, 'GET', '/healthz')
    assert.equal(answer.status, 200)
    assert.deepEqual(answer.json(), {status: 'ok'})
  })

  const badAuth: Array<[string, (s: TestServer) => Record<string, string>]> = [
    ['no Authorization header', () => ({})],
    ['a Basic scheme', () => ({authorization: 'Basic YWxpY2U6c2VjcmV0'})],
    ['"Bearer" with no token', () => ({authorization: 'Bearer'})],
    ['a wrong token', () => ({authorization: 'Bearer kvc_' + 'A'.repeat(43)})],
    ['a token without the prefix', () => ({authorization: 'Bearer ' + 'A'.repeat(47)})],
  ]
  for (const [what, headers] of badAuth) {
    it(`refuses ${what} on every /api route with 401 and {"detail"}`, async function () {
      for (const route of ROUTES) {
        const answer = await request(server, route.method, route.path, {json: route.json, body: route.body, contentType: route.contentType, headers: headers(server)})
        assert.equal(answer.status, 401, `${route.method} ${route.path}: ${answer.text}`)
        assert.equal(typeof answer.json<{detail: string}>().detail, 'string')
        assert.equal(answer.headers['www-authenticate'], 'Bearer')
      }
    })
  }

  it('refuses a revoked token on every route, at once, on the running server', async function () {
    const carol = server.token('carol')
    assert.equal((await request(server, 'GET', '/api/whoami', {token: carol.token})).status, 200)
    server.revoke(carol.id)
    for (const route of ROUTES) {
      const answer = await request(server, route.method, route.path, {token: carol.token, json: route.json, body: route.body, contentType: route.contentType})
      assert.equal(answer.status, 401, `${route.method} ${route.path}: ${answer.text}`)
      assert.match(answer.json<{detail: string}>().detail, /revoked/)
    }
  })

  it("answers 404, never 403, for every route that names another account's store or app, and changes nothing", async function () {
    await seedAlice()
    const bob = server.token('bob')
    for (const route of ROUTES) {
      if (route.path === '/api/whoami' || route.path === '/api/key-value-stores' || route.path === '/api/apps') continue
      if (route.method === 'POST' && route.path === '/api/key-value-stores/data') continue // bob may make his own "data"
      if (route.path === '/api/apps/shop/deploy') continue // bob may deploy his own "shop"
      const answer = await request(server, route.method, route.path, {token: bob.token, json: route.json, body: route.body, contentType: route.contentType})
      assert.equal(answer.status, 404, `${route.method} ${route.path}: ${answer.status} ${answer.text}`)
    }
    // Bob's listings are empty; alice's data is untouched.
    assert.deepEqual((await request(server, 'GET', '/api/key-value-stores', {token: bob.token})).json(), {keyValueStores: []})
    assert.deepEqual((await request(server, 'GET', '/api/apps', {token: bob.token})).json(), {items: []})
    assert.equal((await request(server, 'GET', '/api/key-value-stores/data/keys/k', {token: alice.token})).text, 'secret')
    const aliceApp = (await request(server, 'GET', '/api/apps/shop', {token: alice.token})).json<{links: unknown[]}>()
    assert.deepEqual(aliceApp.links, [{kind: 'key-value', label: 'default', store: 'data'}])
  })

  it('lets two accounts use the same store name without sharing anything', async function () {
    const dave = server.token('dave')
    const erin = server.token('erin')
    for (const [who, value] of [[dave, 'd'], [erin, 'e']] as const) {
      assert.equal((await request(server, 'POST', '/api/key-value-stores/same', {token: who.token, json: null})).status, 201)
      await request(server, 'PUT', '/api/key-value-stores/same/keys/k', {token: who.token, body: value, contentType: 'application/octet-stream'})
    }
    assert.equal((await request(server, 'GET', '/api/key-value-stores/same/keys/k', {token: dave.token})).text, 'd')
    assert.equal((await request(server, 'GET', '/api/key-value-stores/same/keys/k', {token: erin.token})).text, 'e')
    assert.equal((await request(server, 'DELETE', '/api/key-value-stores/same', {token: dave.token})).status, 204)
    assert.equal((await request(server, 'GET', '/api/key-value-stores/same/keys/k', {token: erin.token})).text, 'e')
  })

  it('names the account in whoami, and never writes a token or the Authorization header to the log', async function () {
    const answer = await request(server, 'GET', '/api/whoami', {token: alice.token})
    assert.equal(answer.json<{account: string}>().account, 'alice')
    const log = server.logText()
    assert.ok(log.length > 0)
    assert.equal(log.includes(alice.token), false)
    assert.equal(log.includes('kvc_'), false)
    assert.equal(/authorization/i.test(log), false)
  })
})
