import assert from 'node:assert/strict'
import {KvError} from '../../../src/lib/errors.js'
import {LocalBackend} from '../../../src/lib/sqlite/local-backend.js'
import {DEFAULT_LIMITS} from '../../../src/lib/validation.js'
import {runCli, tempHome} from '../../helpers/cli.js'

// LocalBackend keeps resolved targets (store row, namespaces) while the catalog is unchanged.
// Another connection (a second backend here, as a second process would be) or a command in
// another process changing the catalog must be seen by the very next call.

const text = (value: Uint8Array) => Buffer.from(value).toString('utf8')

async function notFound(work: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(work, (error: unknown) => error instanceof KvError && error.kind === 'not-found' && message.test(error.message))
}

function deployRequest(app: string, labels: Array<{label: string; store: string}>) {
  return {
    app: {name: app, components: [{id: 'web', keyValueStores: labels.map((l) => l.label), sqliteDatabases: []}]},
    links: labels.map((l) => ({...l, create: false})),
  }
}

describe('local backend: resolved targets follow catalog changes', function () {
  let home: string
  let cleanup: () => void
  let reader: LocalBackend
  let writer: LocalBackend

  beforeEach(async function () {
    ;({home, cleanup} = tempHome('kvcloud-resolve-'))
    reader = LocalBackend.open({home, limits: DEFAULT_LIMITS})
    writer = LocalBackend.open({home, limits: DEFAULT_LIMITS})
    await writer.createStore('shop')
    await writer.setValues({store: 'shop'}, [{key: 'k', value: Buffer.from('one')}])
  })

  afterEach(async function () {
    await reader.close()
    await writer.close()
    cleanup()
  })

  it('sees a rename by another connection on the next read', async function () {
    assert.equal(text(await reader.getValue({store: 'shop'}, 'k')), 'one')
    await writer.renameStore('shop', 'market')
    await notFound(reader.getValue({store: 'shop'}, 'k'), /"shop"/)
    assert.equal(text(await reader.getValue({store: 'market'}, 'k')), 'one')
  })

  it('sees a store deleted and made again under the same name (a new, empty file)', async function () {
    assert.equal(text(await reader.getValue({store: 'shop'}, 'k')), 'one')
    await writer.deleteStore('shop')
    await notFound(reader.getValue({store: 'shop'}, 'k'), /No key value store found with name "shop"/)
    await writer.createStore('shop')
    await notFound(reader.getValue({store: 'shop'}, 'k'), /Key "k" not found/)
    await reader.setValues({store: 'shop'}, [{key: 'k', value: Buffer.from('two')}])
    assert.equal(text(await writer.getValue({store: 'shop'}, 'k')), 'two')
  })

  it('writes to a namespace another connection linked since the last call', async function () {
    await writer.deploy(deployRequest('app-a', [{label: 'default', store: 'shop'}]))
    // The reader learns the store's namespaces: just "default".
    await reader.setValues({store: 'shop'}, [{key: 'k', value: Buffer.from('before')}])
    await writer.deploy(deployRequest('app-b', [{label: 'prompts', store: 'shop'}]))
    // The store now lives in two namespaces; a write must reach both.
    await reader.setValues({store: 'shop'}, [{key: 'k', value: Buffer.from('after')}])
    assert.equal(text(await writer.getValue({app: 'app-a', label: 'default'}, 'k')), 'after')
    assert.equal(text(await writer.getValue({app: 'app-b', label: 'prompts'}, 'k')), 'after')
  })

  it('follows a label relinked to another store', async function () {
    await writer.createStore('other')
    await writer.setValues({store: 'other'}, [{key: 'k', value: Buffer.from('other')}])
    await writer.deploy(deployRequest('app-a', [{label: 'default', store: 'shop'}]))
    assert.equal(text(await reader.getValue({app: 'app-a', label: 'default'}, 'k')), 'one')
    await writer.linkStore({app: 'app-a', label: 'default', store: 'other', replace: true})
    assert.equal(text(await reader.getValue({app: 'app-a', label: 'default'}, 'k')), 'other')
    await writer.unlinkStore('app-a', 'default')
    await notFound(reader.getValue({app: 'app-a', label: 'default'}, 'k'), /label "default"/)
  })

  it('sees its own changes at once', async function () {
    assert.equal(text(await reader.getValue({store: 'shop'}, 'k')), 'one')
    await reader.renameStore('shop', 'market')
    await notFound(reader.getValue({store: 'shop'}, 'k'), /"shop"/)
    assert.equal(text(await reader.getValue({store: 'market'}, 'k')), 'one')
  })

  it('sees a change made by a kvcloud command in another process', async function () {
    this.timeout(30_000)
    assert.equal(text(await reader.getValue({store: 'shop'}, 'k')), 'one')
    const renamed = await runCli(['kv', 'rename', 'shop', 'market'], {home, env: {KVCLOUD_URL: undefined, KVCLOUD_TOKEN: undefined}})
    assert.equal(renamed.exitCode, 0, renamed.stderr)
    await notFound(reader.getValue({store: 'shop'}, 'k'), /"shop"/)
    assert.equal(text(await reader.getValue({store: 'market'}, 'k')), 'one')
  })
})
