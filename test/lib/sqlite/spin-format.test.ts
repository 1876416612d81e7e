import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {openSqlite, type Db} from '../../helpers/sqlite.js'
import {LocalBackend} from '../../../src/lib/sqlite/local-backend.js'
import {DEFAULT_LIMITS} from '../../../src/lib/validation.js'

import {bind, SPIN_DELETE, SPIN_GET, SPIN_KEYS, SPIN_SET} from '../../spin/spin-sql.js'

describe('local store files in Spin\'s format', function () {
  let home: string
  let backend: LocalBackend
  let spin: Db

  beforeEach(async function () {
    home = mkdtempSync(join(tmpdir(), 'kvcloud-spin-'))
    backend = LocalBackend.open({home, limits: DEFAULT_LIMITS})
    await backend.createStore('case-a')
    await backend.deploy({
      app: {name: 'ab', components: [{id: 'c', keyValueStores: ['promptstore'], sqliteDatabases: []}]},
      links: [{label: 'promptstore', store: 'case-a', create: false}],
    })
    spin = openSqlite(backend.storeFilePath('case-a'), {timeout: 5000})
  })

  afterEach(async function () {
    spin.close()
    await backend.close()
    rmSync(home, {recursive: true, force: true})
  })

  it('uses Spin\'s table exactly, in WAL mode, with kvcloud\'s own tables beside it', function () {
    const table = spin.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'spin_key_value'").get() as {sql: string}
    assert.match(table.sql.replace(/\s+/g, ' '), /store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY \(store, key\)/)
    assert.equal(spin.pragma('journal_mode', {simple: true}), 'wal')
    const tables = spin.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{name: string}>
    assert.deepEqual(tables.map((t) => t.name), ['kvcloud_import', 'kvcloud_namespace', 'kvcloud_pending', 'spin_key_value'])
    // Spin's own first statement on a file it opens still succeeds on kvcloud's.
    spin.exec('CREATE TABLE IF NOT EXISTS spin_key_value (store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key))')
  })

  it('writes keys as TEXT and values as BLOB under the label, which Spin\'s SQL reads back', async function () {
    const binary = Buffer.from([0, 1, 2, 250, 255])
    await backend.setValues({store: 'case-a'}, [{key: 'prompt', value: Buffer.from('Be brief.')}, {key: 'bin', value: binary}])
    const row = spin.prepare("SELECT typeof(key) AS k, typeof(value) AS v, store FROM spin_key_value WHERE key = ? AND store = 'promptstore'").get('prompt') as {k: string; v: string; store: string}
    assert.deepEqual({...row}, {k: 'text', v: 'blob', store: 'promptstore'})
    assert.equal((spin.prepare(SPIN_GET).get(bind('promptstore', 'prompt')) as {value: Buffer}).value.toString(), 'Be brief.')
    assert.deepEqual((spin.prepare(SPIN_GET).get(bind('promptstore', 'bin')) as {value: Buffer}).value, binary)
    // Even an empty value is a BLOB, never NULL or TEXT.
    await backend.setValues({store: 'case-a'}, [{key: 'empty', value: new Uint8Array()}])
    assert.equal((spin.prepare('SELECT typeof(value) AS v FROM spin_key_value WHERE key = ?').get('empty') as {v: string}).v, 'blob')
  })

  it('reads what Spin writes, including its 8-byte little-endian counters, and sees Spin\'s deletes', async function () {
    const counter = Buffer.alloc(8)
    counter.writeBigInt64LE(42n)
    spin.prepare(SPIN_SET).run(bind('promptstore', 'visits', counter))
    spin.prepare(SPIN_SET).run(bind('promptstore', 'note', Buffer.from('from spin')))
    assert.equal(Buffer.from(await backend.getValue({app: 'ab', label: 'promptstore'}, 'visits')).readBigInt64LE(), 42n)
    assert.equal(Buffer.from(await backend.getValue({store: 'case-a'}, 'note')).toString(), 'from spin')
    spin.prepare(SPIN_DELETE).run(bind('promptstore', 'note'))
    await assert.rejects(backend.getValue({store: 'case-a'}, 'note'), /not found/)
    assert.deepEqual((await backend.listKeys({store: 'case-a'})).items, ['visits'])
  })

  it('keeps one namespace per linked label beside its own, fills a new label, and drops only unused labels', async function () {
    await backend.setValues({store: 'case-a'}, [{key: 'k', value: Buffer.from('v')}])
    const namespaces = () => (spin.prepare('SELECT DISTINCT store FROM spin_key_value ORDER BY store').all() as Array<{store: string}>).map((r) => r.store)
    assert.deepEqual(namespaces(), ['kvcloud:data', 'promptstore'])

    await backend.deploy({
      app: {name: 'other', components: [{id: 'c', keyValueStores: ['default'], sqliteDatabases: []}]},
      links: [{label: 'default', store: 'case-a', create: false}],
    })
    assert.deepEqual(namespaces(), ['default', 'kvcloud:data', 'promptstore'])
    assert.deepEqual((spin.prepare(SPIN_KEYS).all(bind('default')) as Array<{key: string}>).map((r) => r.key), ['k'])

    await backend.setValues({app: 'other', label: 'default'}, [{key: 'both', value: Buffer.from('1')}])
    assert.ok(spin.prepare(SPIN_GET).get(bind('promptstore', 'both')), 'a write through one label reaches every namespace')

    await backend.unlinkStore('ab', 'promptstore')
    assert.deepEqual(namespaces(), ['default', 'kvcloud:data'])
    await backend.unlinkStore('other', 'default')
    assert.deepEqual(namespaces(), ['kvcloud:data'], 'the store keeps its own namespace after the last unlink')
    assert.equal(Buffer.from(await backend.getValue({store: 'case-a'}, 'both')).toString(), '1')
  })

  it('a store created and filled before any link gives its data to the first label', async function () {
    await backend.createStore('fresh')
    await backend.setValues({store: 'fresh'}, [{key: 'seed', value: Buffer.from('x')}])
    await backend.deploy({
      app: {name: 'late', components: [{id: 'c', keyValueStores: ['cache'], sqliteDatabases: []}]},
      links: [{label: 'cache', store: 'fresh', create: false}],
    })
    const file = openSqlite(backend.storeFilePath('fresh'))
    try {
      assert.deepEqual(file.prepare<[], string>('SELECT DISTINCT store FROM spin_key_value ORDER BY store').pluck().all(), ['cache', 'kvcloud:data'])
      assert.equal((file.prepare(SPIN_GET).get(bind('cache', 'seed')) as {value: Buffer}).value.toString(), 'x')
    } finally {
      file.close()
    }
  })

  it('names store files by id, never by store name', async function () {
    await backend.createStore('evil-name')
    const path = backend.storeFilePath('evil-name')
    assert.ok(!path.includes('evil-name'))
    assert.match(path, /stores[/\\][0-9a-f]{16}\.db$/)
  })

  it('deleting a store empties its file, then removes it: a running Spin gets no data of the deleted store', async function () {
    await backend.setValues({store: 'case-a'}, [{key: 'k', value: Buffer.from('v')}])
    const path = backend.storeFilePath('case-a')
    await backend.deleteStore('case-a')
    assert.equal(existsSync(path), false)
    let read: unknown
    try {
      read = spin.prepare(SPIN_GET).get(bind('promptstore', 'k'))
    } catch (error) {
      read = error
    }
    assert.ok(read === undefined || read instanceof Error, `a deleted store's pair was still served: ${String(read)}`)
  })
})
