import assert from 'node:assert/strict'
import {request, startTestServer, type TestServer} from '../../helpers/test-server.js'

const ODD_KEYS = ['a/b', '/lead', 'trail/', 'x//y', '%', '%2F', '..', '.', '../etc/passwd', 'a?b#c', 'a+b c', 'ünï/çødé 😀', 'k;v=w&z', '\u0001ctl']

const octet = 'application/octet-stream'
const ndjson = 'application/x-ndjson'

describe('server API: Fermyon paths and bodies, kvcloud extensions, errors', function () {
  let server: TestServer
  let token: string

  before(async function () {
    server = await startTestServer({maxKeyBytes: 64, maxValueBytes: 1024, maxRequestBytes: 64 * 1024, maxImportBytes: 256 * 1024})
    token = server.token('team').token
  })

  after(async function () {
    await server.close()
  })

  const call = (method: Parameters<typeof request>[1], path: string, options: Parameters<typeof request>[3] = {}) =>
    request(server, method, path, {token, ...options})
  const keyPath = (store: string, key: string) => `/api/key-value-stores/${store}/keys/${encodeURIComponent(key)}`

  describe('Fermyon Cloud shapes', function () {
    it('creates (null body), lists, renames and deletes stores with the incumbent paths', async function () {
      const created = await call('POST', '/api/key-value-stores/alpha', {json: null})
      assert.equal(created.status, 201)
      assert.equal(created.json<{name: string}>().name, 'alpha')
      assert.equal((await call('POST', '/api/key-value-stores/alpha', {json: null})).status, 409)
      const renamed = await call('PATCH', '/api/key-value-stores/alpha/rename', {json: 'beta'})
      assert.equal(renamed.status, 204, renamed.text)
      const list = (await call('GET', '/api/key-value-stores')).json<{keyValueStores: Array<{name: string; links: unknown[]}>}>()
      assert.deepEqual(list.keyValueStores.map((s) => [s.name, s.links]), [['beta', []]])
      assert.equal((await call('DELETE', '/api/key-value-stores/beta')).status, 204)
      const missing = await call('DELETE', '/api/key-value-stores/beta')
      assert.equal(missing.status, 404)
      // The fact, not advice: the client advises from it as it would locally.
      assert.deepEqual(missing.json(), {detail: 'No key value store found with name "beta"', fact: {code: 'resource-not-found', kind: 'key-value', name: 'beta'}})
    })

    it('links and unlinks with {"label","appId"} and lists links as {"label","appId","appName"}', async function () {
      const deploy = await call('POST', '/api/apps/shop/deploy', {
        json: {components: [{id: 'web', keyValueStores: ['default', 'cache'], sqliteDatabases: []}], links: [{label: 'default', store: 'shop-data', create: true}, {label: 'cache', store: 'shop-cache', create: true}]},
      })
      assert.equal(deploy.status, 200, deploy.text)
      assert.equal((await call('POST', '/api/key-value-stores/spare', {json: null})).status, 201)
      const conflict = await call('POST', '/api/key-value-stores/spare/links', {json: {label: 'cache', appId: 'shop'}})
      assert.equal(conflict.status, 409)
      const relinked = await call('POST', '/api/key-value-stores/spare/links', {json: {label: 'cache', appId: 'shop', replace: true}})
      assert.equal(relinked.status, 200)
      assert.deepEqual(relinked.json(), {app: 'shop', kind: 'key-value', label: 'cache', store: 'spare', status: 'relinked', previousStore: 'shop-cache'})
      const byApp = (await call('GET', '/api/key-value-stores?appId=shop')).json<{keyValueStores: Array<{name: string; links: unknown[]}>}>()
      assert.deepEqual(byApp.keyValueStores.map((s) => [s.name, s.links]), [
        ['shop-data', [{label: 'default', appId: 'shop', appName: 'shop'}]],
        ['spare', [{label: 'cache', appId: 'shop', appName: 'shop'}]],
      ])
      const wrongStore = await call('DELETE', '/api/key-value-stores/shop-data/links', {json: {label: 'cache', appId: 'shop'}})
      assert.equal(wrongStore.status, 404)
      // kvcloud 0.1's paths for a label's key-value link still work, so older clients keep working.
      const oldLink = await call('PUT', '/api/apps/shop/links/cache', {json: {store: 'shop-cache', replace: true}})
      assert.deepEqual(oldLink.json(), {app: 'shop', kind: 'key-value', label: 'cache', store: 'shop-cache', status: 'relinked', previousStore: 'spare'})
      const sqliteLink = await call('PUT', '/api/apps/shop/links/sqlite/cache', {json: {store: 'shop-cache'}})
      assert.equal(sqliteLink.status, 400, sqliteLink.text)
      assert.deepEqual(sqliteLink.json<{fact: unknown}>().fact, {code: 'kind-not-linkable', kind: 'sqlite'})
      assert.equal((await call('PUT', '/api/apps/shop/links/blob/cache', {json: {store: 'shop-cache'}})).status, 400)
      assert.deepEqual((await call('DELETE', '/api/apps/shop/links/cache')).json(), {app: 'shop', kind: 'key-value', label: 'cache', store: 'shop-cache'})
      assert.equal((await call('PUT', '/api/apps/shop/links/key-value/cache', {json: {store: 'spare'}})).status, 200)
      const unlinked = await call('DELETE', '/api/key-value-stores/spare/links', {json: {label: 'cache', appId: 'shop'}})
      assert.deepEqual(unlinked.json(), {app: 'shop', kind: 'key-value', label: 'cache', store: 'spare'})
    })

    it('creates a store linked in one call, and leaves nothing behind when that link fails', async function () {
      const linked = await call('POST', '/api/key-value-stores/linked-new', {json: {label: 'extra', appId: 'shop'}})
      assert.equal(linked.status, 201, linked.text)
      assert.deepEqual(linked.json<{links: unknown[]}>().links, [{label: 'extra', appId: 'shop', appName: 'shop'}])
      const noApp = await call('POST', '/api/key-value-stores/orphan', {json: {label: 'default', appId: 'no-such-app'}})
      assert.equal(noApp.status, 404)
      assert.equal((await call('GET', '/api/key-value-stores/orphan')).status, 404)
    })

    it('sets one pair by store name or by app and label with POST /api/key-value-pairs', async function () {
      await call('POST', '/api/key-value-stores/pairs-by-name', {json: null})
      assert.equal((await call('POST', '/api/key-value-pairs', {json: {storeName: 'pairs-by-name', key: 'k', value: 'v1'}})).status, 204)
      assert.equal((await call('GET', keyPath('pairs-by-name', 'k'))).text, 'v1')
      assert.equal((await call('POST', '/api/key-value-pairs', {json: {appId: 'shop', label: 'default', key: 'k', value: 'v2'}})).status, 204)
      assert.equal((await call('GET', keyPath('shop-data', 'k'))).text, 'v2')
      const both = await call('POST', '/api/key-value-pairs', {json: {storeName: 'x', appId: 'shop', label: 'default', key: 'k', value: 'v'}})
      assert.equal(both.status, 400)
      const neither = await call('POST', '/api/key-value-pairs', {json: {appId: 'shop', key: 'k', value: 'v'}})
      assert.equal(neither.status, 400)
      assert.match(neither.json<{detail: string}>().detail, /storeName/)
    })
  })

  describe('validation', function () {
    it('answers {"title","errors"} naming the field when a body breaks its schema', async function () {
      const answer = await call('POST', '/api/key-value-stores/shop-data/pairs', {json: {pairs: [{key: 'k'}]}})
      assert.equal(answer.status, 400)
      const body = answer.json<{title: string; errors: Record<string, string[]>}>()
      assert.equal(typeof body.title, 'string')
      assert.deepEqual(body.errors, {'pairs.0.value': ['is required']})
      const notArray = await call('POST', '/api/key-value-stores/shop-data/delete-keys', {json: {keys: {}}})
      assert.equal(notArray.status, 400)
      assert.deepEqual(Object.keys(notArray.json<{errors: object}>().errors), ['keys'])
      const badLimit = await call('GET', '/api/key-value-stores/shop-data/keys?limit=0')
      assert.equal(badLimit.status, 400)
      assert.deepEqual(Object.keys(badLimit.json<{errors: object}>().errors), ['limit'])
    })

    it('answers {"detail"} for JSON that does not parse, bad names and bad base64', async function () {
      const broken = await call('POST', '/api/key-value-stores/shop-data/pairs', {body: '{"pairs": [', contentType: 'application/json'})
      assert.equal(broken.status, 400)
      assert.equal(typeof broken.json<{detail: string}>().detail, 'string')
      const badName = await call('POST', '/api/key-value-stores/..%2Fx', {json: null})
      assert.equal(badName.status, 400)
      assert.match(badName.json<{detail: string}>().detail, /Invalid key value store name/)
      const badBase64 = await call('POST', '/api/key-value-stores/shop-data/pairs', {json: {pairs: [{key: 'k', value: '@@@', base64: true}]}})
      assert.equal(badBase64.status, 400)
      assert.match(badBase64.json<{detail: string}>().detail, /base64/)
    })

    it('answers 404 with {"detail"} for an unknown route of a valid token', async function () {
      const answer = await call('GET', '/api/nothing-here')
      assert.equal(answer.status, 404)
      assert.match(answer.json<{detail: string}>().detail, /No route/)
    })
  })

  describe('keys in paths', function () {
    it('stores and reads back keys with "/", "%", "..", unicode and control characters, byte for byte', async function () {
      await call('POST', '/api/key-value-stores/odd', {json: null})
      for (const [index, key] of ODD_KEYS.entries()) {
        const put = await call('PUT', keyPath('odd', key), {body: `value ${index}`, contentType: octet})
        assert.equal(put.status, 204, `${JSON.stringify(key)}: ${put.text}`)
      }
      for (const [index, key] of ODD_KEYS.entries()) {
        const got = await call('GET', keyPath('odd', key))
        assert.equal(got.status, 200, JSON.stringify(key))
        assert.equal(got.text, `value ${index}`, JSON.stringify(key))
      }
      const listed = (await call('GET', '/api/key-value-stores/odd/keys')).json<{keys: string[]}>().keys
      assert.deepEqual(listed, [...ODD_KEYS].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))))
      const deleted = await call('DELETE', keyPath('odd', '../etc/passwd'))
      assert.deepEqual(deleted.json(), {deleted: 1})
      assert.equal((await call('GET', keyPath('odd', '../etc/passwd'))).status, 404)
      assert.equal((await call('GET', keyPath('odd', '..'))).text, `value ${ODD_KEYS.indexOf('..')}`)
    })

    it('lists by a prefix that needs encoding in the query string', async function () {
      const answer = await call('GET', `/api/key-value-stores/odd/keys?prefix=${encodeURIComponent('a+b')}`)
      assert.deepEqual(answer.json(), {keys: ['a+b c']})
    })

    it('refuses an empty key with 400', async function () {
      const answer = await call('GET', '/api/key-value-stores/odd/keys/')
      assert.equal(answer.status, 400)
      assert.match(answer.json<{detail: string}>().detail, /cannot be empty/)
    })
  })

  describe('limits (413, before any work)', function () {
    beforeEach(async function () {
      await call('DELETE', '/api/key-value-stores/limited')
      await call('POST', '/api/key-value-stores/limited', {json: null})
    })

    it('refuses a key over the key limit with 413 naming the limit', async function () {
      const answer = await call('PUT', keyPath('limited', 'k'.repeat(65)), {body: 'v', contentType: octet})
      assert.equal(answer.status, 413)
      const body = answer.json<{detail: string; hints: string[]}>()
      assert.match(body.detail, /65 bytes; the key limit is 64 bytes/)
      assert.match(body.hints[0]!, /server's limits/)
    })

    it('refuses a raw value over the value limit with 413 and stores nothing', async function () {
      const answer = await call('PUT', keyPath('limited', 'big'), {body: Buffer.alloc(1025), contentType: octet})
      assert.equal(answer.status, 413)
      assert.equal(typeof answer.json<{detail: string}>().detail, 'string')
      assert.equal((await call('GET', keyPath('limited', 'big'))).status, 404)
    })

    it('refuses a batch with one value over the limit with 413 and writes none of it', async function () {
      const answer = await call('POST', '/api/key-value-stores/limited/pairs', {
        json: {pairs: [{key: 'ok', value: 'fine'}, {key: 'big', value: 'x'.repeat(1025)}]},
      })
      assert.equal(answer.status, 413)
      assert.match(answer.json<{detail: string}>().detail, /1025 bytes; the value limit is 1024 bytes/)
      assert.deepEqual((await call('GET', '/api/key-value-stores/limited/keys')).json(), {keys: []})
    })

    it('refuses a JSON body over the request limit with 413', async function () {
      const pairs = Array.from({length: 100}, (_, i) => ({key: `k${i}`, value: 'x'.repeat(1000)}))
      const answer = await call('POST', '/api/key-value-stores/limited/pairs', {json: {pairs}})
      assert.equal(answer.status, 413)
      assert.match(answer.json<{detail: string}>().detail, /larger than this server's limit/)
      assert.deepEqual((await call('GET', '/api/key-value-stores/limited/keys')).json(), {keys: []})
    })

    it('refuses an import over the import limit with 413 and imports nothing', async function () {
      const line = JSON.stringify({key: 'k', value: 'x'.repeat(900)}) + '\n'
      let body = ''
      for (let i = 0; body.length <= 256 * 1024; i++) body += line.replace('"k"', `"k${i}"`)
      const answer = await call('POST', '/api/key-value-stores/limited/import', {body, contentType: ndjson})
      assert.equal(answer.status, 413)
      assert.match(answer.json<{detail: string}>().detail, /import is larger than this server's limit/)
      assert.deepEqual((await call('GET', '/api/key-value-stores/limited/keys')).json(), {keys: []})
    })
  })

  describe('import and export', function () {
    beforeEach(async function () {
      await call('DELETE', '/api/key-value-stores/bulk')
      await call('POST', '/api/key-value-stores/bulk', {json: null})
    })

    it('imports NDJSON (text and base64 values) and exports exactly what it imported', async function () {
      const lines = [
        {key: 'b', value: 'two'},
        {key: 'a', value: Buffer.from([0, 0xff, 0x80]).toString('base64'), base64: true},
        {key: 'c/d', value: 'ünï'},
      ]
      const imported = await call('POST', '/api/key-value-stores/bulk/import', {body: lines.map((l) => JSON.stringify(l)).join('\n'), contentType: ndjson})
      assert.equal(imported.status, 200, imported.text)
      assert.deepEqual(imported.json(), {count: 3})
      const raw = await call('GET', keyPath('bulk', 'a'))
      assert.equal(raw.headers['content-type'], octet)
      assert.deepEqual(raw.bytes, Buffer.from([0, 0xff, 0x80]))
      const exported = await call('GET', '/api/key-value-stores/bulk/export')
      assert.equal(exported.headers['content-type'], ndjson)
      assert.deepEqual(exported.text.trim().split('\n').map((l) => JSON.parse(l)), [lines[1], lines[0], lines[2]])
    })

    it('imports nothing when line N is bad, and says which line', async function () {
      const good = JSON.stringify({key: 'k', value: 'v'})
      for (const [bad, message] of [['{"key": "x"', /Line 3 .*not valid JSON/], ['{"key": "x"}', /Line 3 .*"value" is missing/], ['{"key":"x","value":"!","base64":true}', /Line 3 .*base64/]] as const) {
        const answer = await call('POST', '/api/key-value-stores/bulk/import', {body: [good, good.replace('"k"', '"k2"'), bad, good].join('\n'), contentType: ndjson})
        assert.equal(answer.status, 400, answer.text)
        assert.match(answer.json<{detail: string}>().detail, message)
        assert.deepEqual((await call('GET', '/api/key-value-stores/bulk/keys')).json(), {keys: []})
      }
    })

    it('says 415 when an import is not NDJSON, and 404 when the store is missing', async function () {
      const json = await call('POST', '/api/key-value-stores/bulk/import', {json: [{key: 'k', value: 'v'}]})
      assert.equal(json.status, 415)
      assert.match(json.json<{detail: string}>().detail, /x-ndjson/)
      const missing = await call('POST', '/api/key-value-stores/nope/import', {body: '{"key":"k","value":"v"}\n', contentType: ndjson})
      assert.equal(missing.status, 404)
      assert.equal((await call('GET', '/api/key-value-stores/nope/export')).status, 404)
    })
  })

  it('logs one structured line per request with method, path, status, time and account', async function () {
    const before = server.logLines.length
    await call('GET', '/api/whoami')
    await request(server, 'GET', '/api/whoami')
    await request(server, 'GET', '/healthz')
    const lines = server.logLines.slice(before)
    assert.equal(lines.length, 3)
    assert.deepEqual(lines.map((l) => [l.method, l.url, l.statusCode, l.account]), [
      ['GET', '/api/whoami', 200, 'team'],
      ['GET', '/api/whoami', 401, undefined],
      ['GET', '/healthz', 200, undefined],
    ])
    for (const line of lines) assert.equal(typeof line.responseTime, 'number')
  })
})
