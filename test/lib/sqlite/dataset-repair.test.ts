import assert from 'node:assert/strict'
import {openSqlite, type Db} from '../../helpers/sqlite.js'
import {collectAll, type Pair} from '../../../src/lib/backend.js'
import {LocalBackend} from '../../../src/lib/sqlite/local-backend.js'
import {compareKeys} from '../../../src/lib/sqlite/store-file.js'
import {DEFAULT_LIMITS} from '../../../src/lib/validation.js'
import {tempHome} from '../../helpers/cli.js'
import {bind, SPIN_GET, SPIN_SET} from '../../spin/spin-sql.js'

const app = (name: string, labels: string[]) => ({name, components: [{id: 'web', keyValueStores: labels, sqliteDatabases: []}]})

/** Closes the backend (which lets what opening a file started finish) and opens it again, as the next command would. */
async function reopen(backend: LocalBackend, home: string): Promise<LocalBackend> {
  await backend.close()
  return LocalBackend.open({home, limits: DEFAULT_LIMITS})
}

describe('a store file kept true to the catalog, and read in SQLite\'s key order', function () {
  this.timeout(60_000)
  let home: string
  let cleanup: () => void
  let backend: LocalBackend

  beforeEach(function () {
    ({home, cleanup} = tempHome('kvcloud-repair-'))
    backend = LocalBackend.open({home, limits: DEFAULT_LIMITS})
  })

  afterEach(async function () {
    await backend.close()
    cleanup()
  })

  for (const [what, breakIt] of [
    ['a link whose file commit a crash cut off (its label still filling)', (db: Db) => db.exec("UPDATE kvcloud_namespace SET source = 0 WHERE name = 'cache'")],
    ['a kvcloud 0.1 store that was empty, so its label was never registered', (db: Db) => db.exec("DELETE FROM kvcloud_namespace WHERE name = 'cache'")],
  ] as const) {
    it(`adopts ${what}: what Spin wrote under it joins the store, and later writes replicate`, async function () {
      await backend.createStore('held')
      await backend.setValues({store: 'held'}, [{key: 'before', value: Buffer.from('kvcloud')}])
      await backend.deploy({app: app('web', ['cache']), links: [{label: 'cache', store: 'held', create: false}]})
      const file = backend.storeFilePath('held')
      await backend.close()
      const spin = openSqlite(file, {timeout: 5000})
      try {
        breakIt(spin)
        // Spin writes while the label is adrift: the write lands under its label only.
        spin.prepare(SPIN_SET).run(bind('cache', 'adrift', Buffer.from('spin')))
        // The next command that opens the store adopts the label (close() lets it finish).
        backend = LocalBackend.open({home, limits: DEFAULT_LIMITS})
        assert.equal(Buffer.from(await backend.getValue({store: 'held'}, 'before')).toString(), 'kvcloud')
        backend = await reopen(backend, home)
        assert.equal(Buffer.from(await backend.getValue({store: 'held'}, 'adrift')).toString(), 'spin')
        spin.prepare(SPIN_SET).run(bind('cache', 'after', Buffer.from('spin again')))
        assert.equal(Buffer.from(await backend.getValue({store: 'held'}, 'after')).toString(), 'spin again')
        assert.equal((spin.prepare(SPIN_GET).get(bind('cache', 'before')) as {value: Buffer}).value.toString(), 'kvcloud')
        await backend.unlinkStore('web', 'cache')
        assert.equal(Buffer.from(await backend.getValue({store: 'held'}, 'adrift')).toString(), 'spin', 'unlinking kept it')
      } finally {
        spin.close()
      }
    })
  }

  it('merges a committed, unpublished import with the store in UTF-8 byte order, so listings and exports skip nothing', async function () {
    // U+FF0D sorts before an astral character in UTF-8, after it in UTF-16.
    assert.ok(compareKeys('k\uff0d', 'k\u{1f6d2}') < 0)
    assert.ok('k\uff0d' > 'k\u{1f6d2}')
    await backend.createStore('mixed')
    const own: Pair[] = Array.from({length: 1500}, (_, i) => ({key: `k\uff0d${String(i).padStart(4, '0')}`, value: Buffer.from('own')}))
    await backend.setValues({store: 'mixed'}, own)
    const file = backend.storeFilePath('mixed')
    await backend.close()
    // An import committed but not yet published, as a kill right after its commit leaves it
    // (the owner is a pid that is alive, so nothing publishes it while we read).
    const db = openSqlite(file)
    try {
      db.prepare('INSERT INTO kvcloud_import (id, owner, committed) VALUES (?, ?, 1)').run('frozen', process.pid)
      const stage = db.prepare('INSERT INTO kvcloud_pending (import, key, value) VALUES (?, ?, ?)')
      for (let i = 0; i < 1500; i++) stage.run('frozen', `k\u{1f6d2}${String(i).padStart(4, '0')}`, Buffer.from('imported'))
    } finally {
      db.close()
    }
    backend = LocalBackend.open({home, limits: DEFAULT_LIMITS})
    const keys = await collectAll((cursor) => backend.listKeys({store: 'mixed'}, {cursor, limit: 700}))
    assert.equal(keys.length, 3000)
    assert.deepEqual(keys, [...keys].sort(compareKeys))
    let exported = 0
    for await (const pair of backend.exportPairs({store: 'mixed'})) {
      assert.ok(pair.key.length > 0)
      exported++
    }
    assert.equal(exported, 3000)
    assert.equal((await backend.listKeys({store: 'mixed'}, {prefix: 'k\u{1f6d2}', limit: 10_000})).items.length, 1500)
  })
})
