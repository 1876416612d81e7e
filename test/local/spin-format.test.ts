import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import Database from 'better-sqlite3'
import {LocalBackend} from '../../src/lib/local/local-backend.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'

// Spin's own statements (spin-local-store.md), run over a separate connection as `spin up` would.
const SPIN_GET = 'SELECT value FROM spin_key_value WHERE store=$1 AND key=$2'
const SPIN_SET = 'INSERT INTO spin_key_value (store, key, value) VALUES ($1, $2, $3) ON CONFLICT(store, key) DO UPDATE SET value=$3'
const SPIN_DELETE = 'DELETE FROM spin_key_value WHERE store=$1 AND key=$2'
const SPIN_KEYS = 'SELECT key FROM spin_key_value WHERE store=$1'

// rusqlite binds `$1`, `$2` by position; better-sqlite3 names them "1", "2".
const bind = (...values: unknown[]) => Object.fromEntries(values.map((value, i) => [String(i + 1), value]))

describe('local store files in Spin\'s format', function () {
  let home: string
  let backend: LocalBackend
  let spin: Database.Database

  beforeEach(async function () {
    home = mkdtempSync(join(tmpdir(), 'kvcloud-spin-'))
    backend = LocalBackend.open({home, limits: DEFAULT_LIMITS})
    await backend.createStore('case-a')
    await backend.deploy({
      app: {name: 'ab', components: [{id: 'c', keyValueStores: ['promptstore'], sqliteDatabases: []}]},
      links: [{label: 'promptstore', store: 'case-a', create: false}],
    })
    spin = new Database(backend.storeFilePath('case-a'), {timeout: 5000})
  })

  afterEach(async function () {
    spin.close()
    await backend.close()
    rmSync(home, {recursive: true, force: true})
  })

  it('uses Spin\'s table exactly, in rollback-journal mode', function () {
    const table = spin.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'spin_key_value'").get() as {sql: string}
    assert.match(table.sql.replace(/\s+/g, ' '), /store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY \(store, key\)/)
    assert.equal(spin.pragma('journal_mode', {simple: true}), 'delete')
    const tables = spin.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{name: string}>
    assert.deepEqual(tables.map((t) => t.name), ['spin_key_value'])
  })

  it('writes keys as TEXT and values as BLOB under the label, which Spin\'s SQL reads back', async function () {
    const binary = Buffer.from([0, 1, 2, 250, 255])
    await backend.setValues({store: 'case-a'}, [{key: 'prompt', value: Buffer.from('Be brief.')}, {key: 'bin', value: binary}])
    const row = spin.prepare('SELECT typeof(key) AS k, typeof(value) AS v, store FROM spin_key_value WHERE key = ?').get('prompt') as {k: string; v: string; store: string}
    assert.deepEqual(row, {k: 'text', v: 'blob', store: 'promptstore'})
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

  it('keeps one namespace per linked label, copies data into a new label, and never loses the last copy', async function () {
    await backend.setValues({store: 'case-a'}, [{key: 'k', value: Buffer.from('v')}])
    const namespaces = () => (spin.prepare('SELECT DISTINCT store FROM spin_key_value ORDER BY store').all() as Array<{store: string}>).map((r) => r.store)
    assert.deepEqual(namespaces(), ['promptstore'])

    await backend.deploy({
      app: {name: 'other', components: [{id: 'c', keyValueStores: ['default'], sqliteDatabases: []}]},
      links: [{label: 'default', store: 'case-a', create: false}],
    })
    assert.deepEqual(namespaces(), ['default', 'promptstore'])
    assert.deepEqual((spin.prepare(SPIN_KEYS).all(bind('default')) as Array<{key: string}>).map((r) => r.key), ['k'])

    await backend.setValues({app: 'other', label: 'default'}, [{key: 'both', value: Buffer.from('1')}])
    assert.ok(spin.prepare(SPIN_GET).get(bind('promptstore', 'both')), 'a write through one label reaches every namespace')

    await backend.unlinkStore('ab', 'promptstore')
    assert.deepEqual(namespaces(), ['default'])
    await backend.unlinkStore('other', 'default')
    assert.deepEqual(namespaces(), ['default'], 'the last namespace stays after the last unlink')
    assert.equal(Buffer.from(await backend.getValue({store: 'case-a'}, 'both')).toString(), '1')
  })

  it('a store created and filled before any link moves its data to the first label', async function () {
    await backend.createStore('fresh')
    await backend.setValues({store: 'fresh'}, [{key: 'seed', value: Buffer.from('x')}])
    await backend.deploy({
      app: {name: 'late', components: [{id: 'c', keyValueStores: ['cache'], sqliteDatabases: []}]},
      links: [{label: 'cache', store: 'fresh', create: false}],
    })
    const file = new Database(backend.storeFilePath('fresh'))
    try {
      assert.deepEqual(file.prepare('SELECT DISTINCT store FROM spin_key_value').all(), [{store: 'cache'}])
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

  it('deleting a store empties its file instead of removing it (a running spin up may hold it open)', async function () {
    await backend.setValues({store: 'case-a'}, [{key: 'k', value: Buffer.from('v')}])
    await backend.deleteStore('case-a')
    assert.equal((spin.prepare('SELECT count(*) AS n FROM spin_key_value').get() as {n: number}).n, 0)
  })
})
