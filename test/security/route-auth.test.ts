import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import crypto from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {syncBuiltinESMExports} from 'node:module'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {AccountRegistry} from '../../src/lib/sqlite/accounts.js'
import {request, startTestServer, type Answer, type TestServer} from '../helpers/test-server.js'
import {enumerateRoutes, requestFor, type Route, type RouteNames, type RouteRequest} from './routes.js'

const PUBLIC = new Set(['/healthz'])
const ALICE: RouteNames = {store: 'data', app: 'shop', label: 'default', key: 'secret/key'}

describe('no one gets in: every route the server has, enumerated from the Fastify instance', function () {
  this.timeout(30_000)
  let server: TestServer
  let routes: Route[]
  let alice: {id: string; token: string}
  let bob: {id: string; token: string}
  let revoked: {id: string; token: string}

  const send = (route: Route, req: RouteRequest, headers: Record<string, string> = {}, pathOverride?: string): Promise<Answer> =>
    request(server, route.method, pathOverride ?? req.path, {
      ...(route.method === 'HEAD' ? {} : {json: req.json, body: req.body, contentType: req.contentType}),
      headers,
    })

  /** Everything alice can see, to prove that no refused request changed any of it. */
  async function aliceSnapshot(): Promise<string> {
    const auth = {token: alice.token}
    const parts = await Promise.all([
      request(server, 'GET', '/api/key-value-stores', auth),
      request(server, 'GET', '/api/apps', auth),
      request(server, 'GET', '/api/key-value-stores/data/export', auth),
    ])
    return parts.map((part) => `${part.status} ${part.text}`).join('\n')
  }

  before(async function () {
    server = await startTestServer()
    routes = await enumerateRoutes(server.app)
    alice = server.token('alice')
    bob = server.token('bob')
    revoked = server.token('carol')
    server.revoke(revoked.id)
    const auth = {token: alice.token}
    assert.equal((await request(server, 'POST', '/api/key-value-stores/data', {...auth, json: null})).status, 201)
    const deployed = await request(server, 'POST', '/api/apps/shop/deploy', {...auth, json: {
      components: [{id: 'web', keyValueStores: ['default'], sqliteDatabases: []}],
      links: [{label: 'default', store: 'data', create: false}],
    }})
    assert.equal(deployed.status, 200, deployed.text)
    const put = await request(server, 'PUT', `/api/key-value-stores/data/keys/${encodeURIComponent(ALICE.key)}`, {...auth, body: 'alice only', contentType: 'application/octet-stream'})
    assert.equal(put.status, 204)
  })

  after(async function () {
    await server.close()
  })

  it('finds every route, and knows a well-formed request for each (a new route fails here until it is added)', function () {
    const names = routes.map((route) => `${route.method} ${route.url}`)
    for (const known of ['GET /api/whoami', 'PUT /api/key-value-stores/:store/keys/*', 'POST /api/apps/:app/deploy', 'HEAD /api/apps/:app/labels/:label/export']) {
      assert.ok(names.includes(known), `${known} in ${names.join(', ')}`)
    }
    assert.ok(routes.length >= 44, `${routes.length} routes`)
    for (const route of routes) requestFor(route, ALICE)
  })

  it('answers only /healthz without a token', async function () {
    for (const route of routes.filter((r) => PUBLIC.has(r.url))) {
      assert.equal((await send(route, requestFor(route, ALICE))).status, 200, `${route.method} ${route.url}`)
    }
  })

  const badAuth: Array<[string, () => Record<string, string>]> = [
    ['no Authorization header', () => ({})],
    ['an empty Authorization header', () => ({authorization: ''})],
    ['a Basic scheme carrying the valid token', () => ({authorization: 'Basic ' + Buffer.from(`alice:${alice.token}`).toString('base64')})],
    ['another scheme carrying the valid token', () => ({authorization: `Token ${alice.token}`})],
    ['the valid token without a scheme', () => ({authorization: alice.token})],
    ['"Bearer" alone', () => ({authorization: 'Bearer'})],
    ['"Bearer" and spaces', () => ({authorization: 'Bearer    '})],
    ['two tokens', () => ({authorization: `Bearer ${alice.token} ${alice.token}`})],
    ['the valid token less its last character', () => ({authorization: `Bearer ${alice.token.slice(0, -1)}`})],
    ['the valid token and one more character', () => ({authorization: `Bearer ${alice.token}A`})],
    ['the valid token in upper case', () => ({authorization: `Bearer ${alice.token.toUpperCase()}`})],
    ['a wrong token of the right shape', () => ({authorization: 'Bearer kvc_' + 'A'.repeat(43)})],
    ['a token without the prefix', () => ({authorization: 'Bearer ' + alice.token.slice(4)})],
    ['a 5,000-character token', () => ({authorization: 'Bearer kvc_' + 'x'.repeat(5000)})],
    ['a revoked token', () => ({authorization: `Bearer ${revoked.token}`})],
    ['the token in a cookie instead', () => ({cookie: `token=${alice.token}`})],
  ]

  for (const [what, headers] of badAuth) {
    it(`answers 401 to ${what}, on every route and method but /healthz`, async function () {
      const before = await aliceSnapshot()
      for (const route of routes.filter((r) => !PUBLIC.has(r.url))) {
        const answer = await send(route, requestFor(route, ALICE), headers())
        assert.equal(answer.status, 401, `${route.method} ${route.url}: ${answer.status} ${answer.text}`)
        assert.equal(answer.headers['www-authenticate'], 'Bearer', `${route.method} ${route.url}`)
        if (route.method !== 'HEAD') assert.equal(typeof answer.json<{detail: string}>().detail, 'string')
      }
      assert.equal(await aliceSnapshot(), before, 'a refused request changed nothing')
    })
  }

  it('answers 401 to the token in the query string, and to paths that spell /api another way', async function () {
    const before = await aliceSnapshot()
    for (const route of routes.filter((r) => !PUBLIC.has(r.url))) {
      const req = requestFor(route, ALICE)
      const variants = [
        `${req.path}?access_token=${alice.token}`,
        // The router decodes "%61" to "a": authentication must follow the route it matched.
        req.path.replace('/api/', '/%61pi/'),
        req.path.replace('/api/', '/ap%69/'),
      ]
      for (const path of variants) {
        const answer = await send(route, req, {}, path)
        assert.equal(answer.status, 401, `${route.method} ${path}: ${answer.status} ${answer.text}`)
      }
    }
    assert.equal(await aliceSnapshot(), before)
  })

  it('answers 401, not 404, for paths no route serves, so the route table cannot be probed without a token', async function () {
    for (const path of ['/api', '/api/', '/api/no-such-route', '/API/whoami', '//api/whoami', '/api%2Fwhoami', '/favicon.ico', '/']) {
      const answer = await request(server, 'GET', path)
      assert.equal(answer.status, 401, `${path}: ${answer.text}`)
    }
  })

  it("answers 404 on every route that names another account's store, app or label, exactly as for a name that exists nowhere", async function () {
    const before = await aliceSnapshot()
    const nowhere: RouteNames = {store: 'no-such-store', app: 'no-such-app', label: 'default', key: ALICE.key}
    const ownScope = new Set(['/api/whoami', '/api/openapi.json', '/api/key-value-stores', '/api/apps'])
    let checked = 0
    for (const route of routes.filter((r) => !PUBLIC.has(r.url) && !ownScope.has(r.url))) {
      // Creating a store or deploying an app makes bob's own; those are checked below.
      if ((route.method === 'POST' && route.url === '/api/key-value-stores/:store') || route.url === '/api/apps/:app/deploy') continue
      const auth = {authorization: `Bearer ${bob.token}`}
      const theirs = await send(route, requestFor(route, ALICE), auth)
      const absent = await send(route, requestFor(route, nowhere), auth)
      assert.equal(theirs.status, 404, `${route.method} ${route.url}: ${theirs.status} ${theirs.text}`)
      assert.equal(absent.status, 404, `${route.method} ${route.url} (absent): ${absent.status} ${absent.text}`)
      if (route.method !== 'HEAD') {
        const normalize = (text: string, names: RouteNames) => text.replaceAll(names.store, 'STORE').replaceAll(names.app, 'APP')
        assert.equal(normalize(theirs.text, ALICE), normalize(absent.text, nowhere), `${route.method} ${route.url}: the answer tells "theirs" from "absent"`)
      }
      checked++
    }
    assert.ok(checked >= 30, `${checked} routes checked`)
    assert.equal(await aliceSnapshot(), before)
  })

  it("shows another account nothing in its listings, and keeps the same names apart when it makes its own", async function () {
    const bobAuth = {token: bob.token}
    assert.deepEqual((await request(server, 'GET', '/api/key-value-stores', bobAuth)).json(), {keyValueStores: []})
    assert.deepEqual((await request(server, 'GET', '/api/apps', bobAuth)).json(), {items: []})
    assert.equal((await request(server, 'GET', '/api/whoami', bobAuth)).json<{account: string}>().account, 'bob')
    const before = await aliceSnapshot()
    assert.equal((await request(server, 'POST', '/api/key-value-stores/data', {...bobAuth, json: null})).status, 201)
    const deployed = await request(server, 'POST', '/api/apps/shop/deploy', {...bobAuth, json: {
      components: [{id: 'web', keyValueStores: ['default'], sqliteDatabases: []}],
      links: [{label: 'default', store: 'data', create: false}],
    }})
    assert.equal(deployed.status, 200, deployed.text)
    assert.equal((await request(server, 'GET', `/api/apps/shop/labels/default/keys/${encodeURIComponent(ALICE.key)}`, bobAuth)).status, 404)
    assert.equal(await aliceSnapshot(), before)
  })
})

describe('token comparison', function () {
  let dataDir: string

  beforeEach(function () {
    dataDir = mkdtempSync(join(tmpdir(), 'kvcloud-compare-'))
  })

  afterEach(function () {
    rmSync(dataDir, {recursive: true, force: true})
  })

  it("compares SHA-256 digests of equal length with crypto.timingSafeEqual, never the token's own bytes", function () {
    const seed = AccountRegistry.open(dataDir)
    const {token} = seed.createToken('alice')
    seed.close()
    const calls: Array<[Buffer, Buffer]> = []
    const original = crypto.timingSafeEqual
    crypto.timingSafeEqual = ((a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      calls.push([Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)])
      return original(a, b)
    }) as typeof crypto.timingSafeEqual
    // Updates the named export that accounts.ts imported, so the spy sees its calls.
    syncBuiltinESMExports()
    const registry = AccountRegistry.open(dataDir)
    try {
      assert.equal(registry.authenticate(token)?.name, 'alice')
      assert.equal(registry.authenticate('kvc_' + 'Q'.repeat(43)), undefined)
    } finally {
      registry.close()
      crypto.timingSafeEqual = original
      syncBuiltinESMExports()
    }
    const digest = createHash('sha256').update(token).digest()
    assert.equal(calls.length, 1, 'one comparison, for the token that was found by its digest')
    const [a, b] = calls[0]!
    assert.equal(a.length, 32)
    assert.equal(b.length, 32)
    assert.ok(a.equals(digest) && b.equals(digest))
    assert.equal(a.includes(Buffer.from(token)), false)
  })
})
