import assert from 'node:assert/strict'
import {KvError} from '../../src/lib/errors.js'
import {HttpBackend} from '../../src/lib/http/http-backend.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'
import {startTestServer, type TestServer} from '../helpers/test-server.js'
import {droppingProxy, type DroppingProxy} from './hostile-helpers.js'

// Issue 11, item 7: a DELETE whose answer is lost (the connection drops after the server did
// the work) must not be retried into a false 404. A loopback proxy in front of a real server
// forwards everything, but cuts the connection instead of passing on the answer when told to.

describe('hostile network: the HTTP client never retries a DELETE into a false 404', function () {
  this.timeout(20_000)
  let server: TestServer
  let proxy: DroppingProxy
  let backend: HttpBackend

  beforeEach(async function () {
    server = await startTestServer()
    proxy = await droppingProxy(server.url)
    backend = await HttpBackend.connect({url: proxy.url, token: server.token('drop').token, limits: DEFAULT_LIMITS, retries: {minTimeoutMs: 10}})
  })

  afterEach(async function () {
    await backend.close()
    await proxy.close()
    await server.close()
  })

  const notAFalse404 = (error: unknown) => {
    assert.ok(error instanceof KvError, String(error))
    assert.notEqual(error.kind, 'not-found', `a delete that happened reported: ${error.message}`)
    assert.equal(error.kind, 'unavailable', error.message)
    assert.match(error.message, /connection was closed before the answer came/)
    return true
  }

  it('deleting a store whose answer was lost: a clear "connection closed", not "not found"; the store is gone; sent once', async function () {
    await backend.createStore('doomed')
    proxy.dropNextAnswerTo('DELETE')
    await assert.rejects(backend.deleteStore('doomed'), notAFalse404)
    assert.equal(proxy.requests.filter((line) => line.startsWith('DELETE ')).length, 1, proxy.requests.join('\n'))
    await assert.rejects(backend.getStore('doomed'), (error: unknown) => error instanceof KvError && error.kind === 'not-found')
  })

  it('deleting an app and unlinking a label whose answers were lost: the same, each sent once', async function () {
    await backend.createStore('kept')
    await backend.deploy({app: {name: 'shop', components: [{id: 'c', keyValueStores: ['default', 'extra'], sqliteDatabases: []}]}, links: [{label: 'default', store: 'kept', create: false}, {label: 'extra', store: 'kept', create: false}]})
    proxy.dropNextAnswerTo('DELETE')
    await assert.rejects(backend.unlinkStore('shop', 'extra'), notAFalse404)
    assert.deepEqual((await backend.getApp('shop')).links, [{kind: 'key-value', label: 'default', store: 'kept'}])
    proxy.dropNextAnswerTo('DELETE')
    await assert.rejects(backend.deleteApp('shop'), notAFalse404)
    await assert.rejects(backend.getApp('shop'), (error: unknown) => error instanceof KvError && error.kind === 'not-found')
    assert.equal(proxy.requests.filter((line) => line.startsWith('DELETE ')).length, 2, proxy.requests.join('\n'))
  })

  it('still retries what is idempotent in effect: a lost GET or PUT answer is asked again and succeeds', async function () {
    await backend.createStore('reads')
    await backend.setValues({store: 'reads'}, [{key: 'k', value: Buffer.from('v')}])
    proxy.dropNextAnswerTo('GET')
    assert.equal((await backend.getStore('reads')).name, 'reads')
    assert.equal(proxy.requests.filter((line) => line.startsWith('GET /api/key-value-stores/reads ')).length, 2)
    proxy.dropNextAnswerTo('PUT')
    await backend.linkStore({app: 'none', label: 'default', store: 'reads'}).catch((error: unknown) => {
      // No such app: the retried PUT gets the same 404 the first one did; the point is that it was retried.
      assert.ok(error instanceof KvError && error.kind === 'not-found', String(error))
    })
    assert.equal(proxy.requests.filter((line) => line.startsWith('PUT ')).length, 2, proxy.requests.join('\n'))
  })
})
