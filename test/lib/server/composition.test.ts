import assert from 'node:assert/strict'
import type {Backend, Page, StoreInfo} from '../../../src/lib/backend.js'
import type {Account} from '../../../src/lib/sqlite/accounts.js'
import {createServer} from '../../../src/lib/server/app.js'
import {resolveServerLimits} from '../../../src/lib/server/limits.js'

// The server is composed of the parts its caller gives it (as fastify/demo composes its app):
// here an account store of one token and a backend that answers one call, no data folder at all.
describe('a server composed of injected parts', function () {
  it('authenticates with the account store it is given and serves each account from the backend it is given', async function () {
    const account: Account = {id: 7, name: 'injected'}
    const asked: string[] = []
    const backend = {
      async listStores(): Promise<Page<StoreInfo>> {
        return {items: [{name: 'only', links: [{app: 'shop', label: 'default'}], createdAt: '2026-01-01T00:00:00.000Z'}]}
      },
    } as Partial<Backend> as Backend
    let released = 0
    const app = createServer({
      limits: resolveServerLimits({}, undefined),
      accounts: {authenticate: (token) => (token === 'kvc_secret' ? account : undefined)},
      backends: {
        forAccount(who) {
          asked.push(who.name)
          return backend
        },
        acquire: () => () => void released++,
      },
    })
    try {
      const refused = await app.inject({method: 'GET', url: '/api/key-value-stores', headers: {authorization: 'Bearer kvc_other'}})
      assert.equal(refused.statusCode, 401)
      const answer = await app.inject({method: 'GET', url: '/api/key-value-stores', headers: {authorization: 'Bearer kvc_secret'}})
      assert.equal(answer.statusCode, 200, answer.body)
      assert.deepEqual(answer.json(), {keyValueStores: [{name: 'only', links: [{label: 'default', appId: 'shop', appName: 'shop'}], createdAt: '2026-01-01T00:00:00.000Z'}]})
      assert.deepEqual(asked, ['injected'])
      assert.equal(released, 1)
    } finally {
      await app.close()
    }
  })
})
