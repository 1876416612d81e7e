import assert from 'node:assert/strict'
import {cpSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {runCli, tempHome} from '../../helpers/cli.js'
import {openSqlite} from '../../helpers/sqlite.js'

// A real catalog and its store files as kvcloud wrote them at catalog schema 3 (before resources
// had a kind): stores case-a (linked as default, greeting=hello), case-b (linked as promptstore,
// prompt=wrie) and spare; app "shop".
const FIXTURE = fileURLToPath(new URL('../../fixtures/catalog-schema-3', import.meta.url))

describe('catalog migration: resources with a kind, from a real catalog of schema 3', function () {
  let home: string
  let cleanup: () => void

  beforeEach(() => {
    ;({home, cleanup} = tempHome())
    cpSync(FIXTURE, home, {recursive: true})
  })
  afterEach(() => cleanup())

  async function json<T>(args: string[]): Promise<T> {
    const result = await runCli([...args, '--json'], {home})
    assert.equal(result.exitCode, 0, result.stderr)
    return JSON.parse(result.stdout) as T
  }

  it('carries every store, app and link over: listings, reads by name and by label, writes', async () => {
    const stores = await json<Array<{key_value_store: string; links: Array<{app: string; label: string}>}>>(['kv', 'list'])
    assert.deepEqual(stores.map((store) => [store.key_value_store, store.links]), [
      ['case-a', [{label: 'default', app: 'shop'}]],
      ['case-b', [{label: 'promptstore', app: 'shop'}]],
      ['spare', []],
    ])
    const app = await json<{revision: number; links: unknown[]}>(['apps', 'info', 'shop'])
    assert.equal(app.revision, 1)
    assert.deepEqual(app.links, [{kind: 'key-value', label: 'default', store: 'case-a'}, {kind: 'key-value', label: 'promptstore', store: 'case-b'}])

    const byLabel = await runCli(['kv', 'get', '--app', 'shop', '--label', 'promptstore', 'prompt'], {home})
    assert.equal(byLabel.stdout, 'wrie', byLabel.stderr)
    const byName = await runCli(['kv', 'get', '--store', 'case-a', 'greeting'], {home})
    assert.equal(byName.stdout, 'hello', byName.stderr)
    assert.equal((await runCli(['kv', 'set', '--store', 'spare', 'k=v'], {home})).exitCode, 0)
    assert.equal((await runCli(['link', 'kv', 'promptstore', '--app', 'shop', '--store', 'spare', '--yes'], {home})).exitCode, 0)
    assert.equal((await runCli(['kv', 'get', '--app', 'shop', '--label', 'promptstore', 'k'], {home})).stdout, 'v')

    const db = openSqlite(join(home, 'catalog.db'), {readonly: true})
    try {
      assert.equal(db.pragma('user_version', {simple: true}), 4)
      assert.deepEqual(db.prepare('SELECT kind, name FROM resources ORDER BY name').all().map((row) => ({...(row as object)})), [
        {kind: 'key-value', name: 'case-a'}, {kind: 'key-value', name: 'case-b'}, {kind: 'key-value', name: 'spare'},
      ])
      assert.deepEqual(db.prepare('SELECT kind, label FROM links ORDER BY label').all().map((row) => ({...(row as object)})), [
        {kind: 'key-value', label: 'default'}, {kind: 'key-value', label: 'promptstore'},
      ])
      assert.equal(db.prepare<[], {n: number}>("SELECT count(*) AS n FROM sqlite_master WHERE name = 'stores'").get()!.n, 0)
    } finally {
      db.close()
    }
  })

  it('keeps a key-value label and a sqlite label of the same name apart', async () => {
    await json(['kv', 'list'])
    const db = openSqlite(join(home, 'catalog.db'))
    try {
      db.exec(`INSERT INTO resources (id, kind, name, created_at) VALUES ('db1', 'sqlite', 'case-a', '2026-12-01T00:00:00.000Z');
               INSERT INTO links (app_id, kind, label, resource_id) VALUES (1, 'sqlite', 'promptstore', 'db1')`)
      // A link's kind is its resource's: a sqlite link to a key-value store is refused by the catalog itself.
      assert.throws(() => db.exec(`INSERT INTO links (app_id, kind, label, resource_id)
        SELECT 1, 'sqlite', 'other', id FROM resources WHERE kind = 'key-value' AND name = 'spare'`), /FOREIGN KEY/)
    } finally {
      db.close()
    }
    const byLabel = await runCli(['kv', 'get', '--app', 'shop', '--label', 'promptstore', 'prompt'], {home})
    assert.equal(byLabel.stdout, 'wrie', byLabel.stderr)
    const stores = await json<Array<{key_value_store: string}>>(['kv', 'list'])
    assert.deepEqual(stores.map((store) => store.key_value_store), ['case-a', 'case-b', 'spare'])
    const app = await json<{links: unknown[]}>(['apps', 'info', 'shop'])
    assert.deepEqual(app.links, [{kind: 'key-value', label: 'default', store: 'case-a'}, {kind: 'key-value', label: 'promptstore', store: 'case-b'}])
    assert.equal((await runCli(['unlink', 'kv', 'promptstore', '--app', 'shop'], {home})).exitCode, 0)
    const after = openSqlite(join(home, 'catalog.db'), {readonly: true})
    try {
      assert.deepEqual(after.prepare('SELECT kind, label FROM links ORDER BY kind, label').all().map((row) => ({...(row as object)})), [
        {kind: 'key-value', label: 'default'}, {kind: 'sqlite', label: 'promptstore'},
      ])
    } finally {
      after.close()
    }
  })
})
