import assert from 'node:assert/strict'
import fc from 'fast-check'
import type {Pair} from '../../src/lib/backend.js'
import {KvError} from '../../src/lib/errors.js'
import {HttpBackend} from '../../src/lib/http/http-backend.js'
import {request, startTestServer, type TestServer} from '../helpers/test-server.js'
import {enumerateRoutes, requestFor, type Route} from '../security/routes.js'

// Small limits, so that random input crosses them often.
const LIMITS = {maxKeyBytes: 96, maxValueBytes: 4096, maxRequestBytes: 64 * 1024, maxImportBytes: 256 * 1024}
const CLIENT_LIMITS = {maxKeyBytes: LIMITS.maxKeyBytes, maxValueBytes: LIMITS.maxValueBytes}

/** Pieces that break naive path handling, joined at random with unicode and control characters. */
const NASTY = ['/', '%', '..', '.', '%2F', '%25', '%2e%2e', '\\', '?', '#', '&', '=', '+', ' ', '\u0000', '\n', '\r', '\t', '\u007f', '\u00a0', 'é', 'e\u0301', '😀', '\u202e', '\ufeff', '"', "'", '<', '*', ':', ';', 'a', 'Z', '0']

const keyArbitrary = fc.oneof(
  fc.array(fc.constantFrom(...NASTY), {minLength: 1, maxLength: 12}).map((parts) => parts.join('')),
  fc.string({unit: 'binary', minLength: 1, maxLength: 30}),
  fc.string({unit: 'grapheme', minLength: 1, maxLength: 20}),
  fc.string({unit: 'binary-ascii', minLength: 1, maxLength: 40}),
).filter((key) => Buffer.byteLength(key, 'utf8') <= LIMITS.maxKeyBytes)

const valueArbitrary = fc.oneof(
  fc.uint8Array({maxLength: 600}),
  fc.string({unit: 'binary', maxLength: 200}).map((text) => new Uint8Array(Buffer.from(text, 'utf8'))),
)

const bytesEqual = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))

/** The run count for each property; CI keeps the defaults, FUZZ_RUNS=N raises them for a long local run. */
const runs = (n: number) => Number(process.env.FUZZ_RUNS ?? n)

describe('the HTTP API under random input (fast-check)', function () {
  this.timeout(60_000)
  let server: TestServer
  let token: string
  /** The random-request property gets an account of its own: it deletes and renames at random. */
  let chaosToken: string
  let revokedToken: string
  let routes: Route[]
  let backend: HttpBackend

  before(async function () {
    server = await startTestServer(LIMITS)
    token = server.token('fuzz').token
    chaosToken = server.token('chaos').token
    const revoked = server.token('gone')
    revokedToken = revoked.token
    server.revoke(revoked.id)
    routes = await enumerateRoutes(server.app)
    backend = await HttpBackend.connect({url: server.url, token, limits: CLIENT_LIMITS})
    await backend.createStore('data')
    await backend.deploy({app: {name: 'shop', components: [{id: 'web', keyValueStores: ['default'], sqliteDatabases: []}]}, links: [{label: 'default', store: 'data', create: false}]})
    const chaos = await HttpBackend.connect({url: server.url, token: chaosToken, limits: CLIENT_LIMITS})
    await chaos.deploy({app: {name: 'shop', components: [{id: 'web', keyValueStores: ['default'], sqliteDatabases: []}]}, links: [{label: 'default', store: 'data', create: true}]})
    await chaos.close()
  })

  after(async function () {
    await backend?.close()
    // Whatever the run did, the log never holds a token and never a 5xx.
    const log = server.logText()
    assert.equal(log.includes(token), false)
    assert.equal(log.includes(chaosToken), false)
    assert.equal(log.includes(revokedToken), false)
    assert.deepEqual(server.logLines.filter((line) => typeof line.statusCode === 'number' && line.statusCode >= 500), [])
    await server.close()
  })

  it('never answers 5xx, and answers 2xx without a valid token only for /healthz', async function () {
    const pool = fc.constantFrom('data', 'shop', 'default', 'k', 'other', '')
    const names = fc.oneof({arbitrary: pool, weight: 3}, {arbitrary: fc.string({unit: 'binary', maxLength: 20}), weight: 1}, {arbitrary: keyArbitrary, weight: 1})
    const encode = fc.oneof(
      {arbitrary: fc.constant((text: string) => encodeURIComponent(text)), weight: 6},
      {arbitrary: fc.constantFrom<(text: string) => string>(
        (text) => encodeURIComponent(text).replaceAll('%2F', '/'),
        (text) => encodeURI(text),
        // Broken percent-encoding, and bytes that are not UTF-8.
        (text) => encodeURIComponent(text) + '%',
        (text) => encodeURIComponent(text) + '%zz%C0%AF%FF%E2%82',
      ), weight: 2},
    )
    const pairObject = fc.record({key: fc.oneof(keyArbitrary, fc.jsonValue()), value: fc.oneof(fc.string(), fc.jsonValue()), base64: fc.option(fc.oneof(fc.boolean(), fc.jsonValue()), {nil: undefined})})
    const randomBody = fc.oneof(
      fc.constant(undefined),
      fc.uint8Array({maxLength: 2000}).map((bytes) => Buffer.from(bytes)),
      fc.jsonValue().map((value) => JSON.stringify(value) ?? 'null'),
      fc.record({pairs: fc.array(pairObject, {maxLength: 5})}).map((value) => JSON.stringify(value)),
      fc.record({keys: fc.array(fc.oneof(keyArbitrary, fc.jsonValue()), {maxLength: 5})}).map((value) => JSON.stringify(value)),
      fc.record({components: fc.jsonValue(), links: fc.array(fc.record({label: names, store: names, create: fc.boolean()}), {maxLength: 3})}).map((value) => JSON.stringify(value)),
      fc.array(pairObject, {maxLength: 6}).map((lines) => lines.map((line) => JSON.stringify(line)).join('\n')),
      fc.string({unit: 'binary', maxLength: 300}),
    )
    const contentTypes = fc.constantFrom(undefined, 'application/json', 'application/json; charset=utf-8', 'application/x-ndjson', 'application/octet-stream', 'text/plain', 'multipart/form-data; boundary=x', 'application/xml', 'weird/type', 'application/json; charset=latin1')
    /** A path, body and content type: a route's own well-formed request with random names, or anything at all. */
    const target = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({route: fc.constantFrom(...routes), store: names, app: names, label: names, key: names, enc: encode, wellFormed: fc.boolean(), body: randomBody, type: contentTypes})
          .map(({route, store, app, label, key, enc, wellFormed, body, type}) => {
            const made = requestFor(route, {store, app, label, key})
            const path = route.url.replace(':store', enc(store)).replace(':app', enc(app)).replace(':label', enc(label)).replace('*', enc(key))
            return wellFormed
              ? {method: route.method, path, body: made.json !== undefined ? JSON.stringify(made.json) : made.body, type: made.json !== undefined ? 'application/json' : made.contentType}
              : {method: route.method, path, body, type}
          }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
          prefix: fc.constantFrom('/api', '/', '/api/key-value-stores', '/api/apps', '/%61pi', '//api', '/API'),
          segments: fc.array(names, {maxLength: 5}),
          enc: encode,
          body: randomBody,
          type: contentTypes,
        }).map(({method, prefix, segments, enc, body, type}) => ({method, path: `${prefix}/${segments.map((segment) => enc(segment)).join('/')}`, body, type})),
      },
    )
    const query = fc.option(fc.array(fc.tuple(fc.constantFrom('limit', 'cursor', 'prefix', 'appId', 'x', 'limit[]', '__proto__'), names), {maxLength: 4}), {nil: undefined})
      .map((pairs) => (pairs && pairs.length > 0 ? '?' + pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&') : ''))
    const auth = fc.constantFrom('valid', 'valid', 'valid', 'valid', 'none', 'wrong', 'revoked', 'malformed')
    const extraHeaders = fc.record({
      accept: fc.option(fc.constantFrom('*/*', 'text/html', 'application/x-ndjson'), {nil: undefined}),
      'content-encoding': fc.option(fc.constantFrom('gzip', 'br', 'identity', 'x'), {nil: undefined}),
    }, {requiredKeys: []})

    let sent = 0
    let refusedLocally = 0
    const statuses = new Map<number, number>()
    await fc.assert(
      fc.asyncProperty(target, query, auth, extraHeaders, async ({method: m, path, body: payload, type}, q, who, extra) => {
        const headers: Record<string, string> = {}
        for (const [name, value] of Object.entries(extra)) if (value !== undefined) headers[name] = value
        if (who === 'valid') headers.authorization = `Bearer ${chaosToken}`
        if (who === 'wrong') headers.authorization = 'Bearer kvc_' + 'W'.repeat(43)
        if (who === 'revoked') headers.authorization = `Bearer ${revokedToken}`
        if (who === 'malformed') headers.authorization = `Bearer ${chaosToken}, Basic x`
        if (type !== undefined) headers['content-type'] = type
        const withBody = payload !== undefined && m !== 'GET' && m !== 'HEAD'
        let response
        try {
          response = await server.http.request({method: m as 'GET', path: path + q, headers, body: withBody ? payload : undefined})
        } catch (error) {
          // undici refuses some paths and headers before sending anything: not the server's doing.
          if ((error as {code?: string}).code === 'UND_ERR_INVALID_ARG') {
            refusedLocally++
            return
          }
          throw error
        }
        const text = await response.body.text()
        sent++
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1)
        assert.ok(response.statusCode < 500, `${m} ${path + q} -> ${response.statusCode} ${text}`)
        if (who !== 'valid' && response.statusCode < 300) {
          const healthz = m === 'HEAD' ? response.headers['content-length'] === '15' : text === '{"status":"ok"}'
          assert.ok(healthz, `${m} ${path + q} answered ${response.statusCode} without a valid token: ${text}`)
        }
      }),
      {numRuns: runs(600)},
    )
    assert.ok(sent > refusedLocally * 4, `${sent} sent, ${refusedLocally} refused by undici`)
    // Random requests must reach past the token check and the schemas, or they test little.
    assert.ok([...statuses.keys()].some((status) => status >= 200 && status < 300), 'some requests succeed')
    console.log(`      ${sent} requests: ${[...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${n}×${status}`).join(' ')}`)
    assert.equal((await request(server, 'GET', '/healthz')).status, 200)
  })

  it('reads back every key written, byte for byte, through HttpBackend and through raw requests', async function () {
    await fc.assert(
      fc.asyncProperty(keyArbitrary, valueArbitrary, valueArbitrary, async (key, first, second) => {
        const target = {store: 'data'}
        const path = `/api/key-value-stores/data/keys/${encodeURIComponent(key)}`
        await backend.setValues(target, [{key, value: first}])
        const raw = await request(server, 'GET', path, {token})
        assert.equal(raw.status, 200, `GET ${path}: ${raw.text}`)
        assert.ok(bytesEqual(raw.bytes, first), `raw read of ${JSON.stringify(key)}`)
        const put = await request(server, 'PUT', path, {token, body: Buffer.from(second), contentType: 'application/octet-stream'})
        assert.equal(put.status, 204, put.text)
        assert.ok(bytesEqual(await backend.getValue(target, key), second), `HttpBackend read of ${JSON.stringify(key)}`)
        // By the app's label too: the same pair, another path.
        assert.ok(bytesEqual(await backend.getValue({app: 'shop', label: 'default'}, key), second))
        const listed = await backend.listKeys(target, {prefix: key, limit: 1000})
        assert.ok(listed.items.includes(key), `listKeys with prefix ${JSON.stringify(key)}: ${JSON.stringify(listed.items.slice(0, 5))}`)
        assert.equal(await backend.deleteKeys(target, [key]), 1)
        assert.equal((await request(server, 'GET', path, {token})).status, 404)
      }),
      {numRuns: runs(150)},
    )
  })

  it('imports random pairs (duplicates, odd keys, binary values) all or nothing and exports exactly them', async function () {
    let round = 0
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(keyArbitrary, valueArbitrary), {minLength: 1, maxLength: 60}), fc.integer({min: 1, max: 25}), async (entries, batchSize) => {
        const store = `import-${round++}`
        await backend.createStore(store)
        const expected = new Map<string, Uint8Array>()
        for (const [key, value] of entries) expected.set(key, value)
        async function* batches(): AsyncIterable<Pair[]> {
          for (let i = 0; i < entries.length; i += batchSize) yield entries.slice(i, i + batchSize).map(([key, value]) => ({key, value}))
        }
        const result = await backend.importPairs({store}, batches())
        assert.equal(result.count, expected.size)
        const exported = new Map<string, Uint8Array>()
        for await (const pair of backend.exportPairs({store})) exported.set(pair.key, pair.value)
        assert.deepEqual([...exported.keys()].sort(), [...expected.keys()].sort())
        for (const [key, value] of expected) assert.ok(bytesEqual(exported.get(key)!, value), `value of ${JSON.stringify(key)}`)
        await backend.deleteStore(store)
      }),
      {numRuns: runs(40)},
    )
  })

  it('turns any call HttpBackend can make into an answer or a typed error that is not a server failure', async function () {
    const name = fc.oneof(fc.constantFrom('data', 'shop', 'default', 'fresh', 'x'), fc.string({unit: 'binary', maxLength: 12}), keyArbitrary)
    const target = fc.oneof(name.map((store) => ({store})), fc.tuple(name, name).map(([app, label]) => ({app, label})))
    const call = fc.oneof(
      fc.tuple(fc.constant('createStore'), name),
      fc.tuple(fc.constant('getStore'), name),
      fc.tuple(fc.constant('renameStore'), name, name),
      fc.tuple(fc.constant('setValues'), target, keyArbitrary, valueArbitrary),
      fc.tuple(fc.constant('getValue'), target, keyArbitrary),
      fc.tuple(fc.constant('listKeys'), target, fc.option(fc.string({unit: 'binary', maxLength: 8}), {nil: undefined}), fc.option(fc.string({maxLength: 12}), {nil: undefined})),
      fc.tuple(fc.constant('linkStore'), name, name, name),
      fc.tuple(fc.constant('unlinkStore'), name, name),
      fc.tuple(fc.constant('getApp'), name),
      fc.tuple(fc.constant('listStores'), fc.option(name, {nil: undefined})),
    )
    await fc.assert(
      fc.asyncProperty(call, async (args) => {
        try {
          switch (args[0]) {
            case 'createStore': await backend.createStore(args[1]); break
            case 'getStore': await backend.getStore(args[1]); break
            case 'renameStore': if (args[1] !== 'data') await backend.renameStore(args[1], args[2]); break
            case 'setValues': await backend.setValues(args[1], [{key: args[2], value: args[3]}]); break
            case 'getValue': await backend.getValue(args[1], args[2]); break
            case 'listKeys': await backend.listKeys(args[1], {prefix: args[2], cursor: args[3]}); break
            case 'linkStore': if (args[1] !== 'shop') await backend.linkStore({app: args[1], label: args[2], store: args[3]}); break
            case 'unlinkStore': if (args[1] !== 'shop') await backend.unlinkStore(args[1], args[2]); break
            case 'getApp': await backend.getApp(args[1]); break
            case 'listStores': await backend.listStores({app: args[1]}); break
          }
        } catch (error) {
          assert.ok(error instanceof KvError, `${args[0]} threw ${String(error)}`)
          assert.notEqual(error.kind, 'unavailable', `${JSON.stringify(args)}: ${error.message}`)
          assert.ok([2, 3, 4].includes(error.exitCode), `${error.kind} ${error.message}`)
        }
      }),
      {numRuns: runs(300)},
    )
  })
})
