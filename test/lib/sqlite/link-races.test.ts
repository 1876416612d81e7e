import assert from 'node:assert/strict'
import {KvError} from '../../../src/lib/errors.js'
import {LocalBackend} from '../../../src/lib/sqlite/local-backend.js'
import {DEFAULT_LIMITS} from '../../../src/lib/validation.js'
import {tempHome} from '../../helpers/cli.js'

// A link fills the label's namespace in paced steps before it commits (seconds for a big store
// that Spin may be using), so the app it links can be deleted, and its id given to a new app,
// meanwhile. The link must then fail as the app's absence, and link nothing to the new app.

function deployRequest(app: string, labels: Array<{label: string; store: string}>) {
  return {
    app: {name: app, components: [{id: 'web', keyValueStores: labels.map((l) => l.label), sqliteDatabases: []}]},
    links: labels.map((l) => ({...l, create: false})),
  }
}

describe('local backend: an app deleted while one of its links fills', function () {
  this.timeout(120_000)
  let home: string
  let cleanup: () => void
  let backend: LocalBackend

  beforeEach(async function () {
    ;({home, cleanup} = tempHome('kvcloud-link-race-'))
    backend = LocalBackend.open({home, limits: DEFAULT_LIMITS})
    await backend.createStore('big')
    await backend.createStore('small')
    const value = Buffer.alloc(200, 'v')
    await backend.importPairs({store: 'big'}, (async function* () {
      for (let batch = 0; batch < 40; batch++) yield Array.from({length: 5000}, (_, i) => ({key: `k${batch}-${i}`, value}))
    })())
    // Linked already: the file is one a Spin may be using, so filling another label is paced.
    await backend.deploy(deployRequest('holder', [{label: 'data', store: 'big'}]))
  })

  afterEach(async function () {
    await backend.close()
    cleanup()
  })

  it('fails the link as not found, and the app that took the old one\'s id gets no link', async function () {
    // The newest app, so that its id is the one SQLite hands out next once it is deleted.
    await backend.deploy(deployRequest('target', [{label: 'cache', store: 'small'}]))
    const linking = backend.linkStore({app: 'target', label: 'extra', store: 'big', allowUndeclared: true})
    let settled = false
    void linking.then(() => (settled = true), () => (settled = true))
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.equal(settled, false, 'the fill of 200,000 pairs beside a linked label takes more than 50 ms')
    await backend.deleteApp('target')
    await backend.deploy(deployRequest('newcomer', [{label: 'cache', store: 'small'}]))

    await assert.rejects(linking, (error: unknown) => {
      assert.ok(error instanceof KvError)
      assert.equal(error.kind, 'not-found')
      assert.equal(error.message, "Could not find app 'target'")
      return true
    })
    assert.deepEqual((await backend.getApp('newcomer')).links, [{kind: 'key-value', label: 'cache', store: 'small'}])
    assert.deepEqual((await backend.getStore('big')).links, [{app: 'holder', label: 'data'}])
    assert.equal(Buffer.from(await backend.getValue({app: 'holder', label: 'data'}, 'k39-4999')).toString(), 'v'.repeat(200))
  })
})
