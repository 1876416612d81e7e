import assert from 'node:assert/strict'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {openSqlite} from '../../helpers/sqlite.js'
import {parse as parseToml} from 'smol-toml'
import {InvalidInputError} from '../../../src/lib/errors.js'
import {LocalBackend} from '../../../src/lib/sqlite/local-backend.js'
import {DEFAULT_LIMITS} from '../../../src/lib/validation.js'
import {renderRuntimeConfig, runtimeConfigPath, storePathFor} from '../../../src/lib/spin/runtime-config.js'
import {updateRuntimeConfig} from '../../../src/lib/spin/runtime-config-file.js'
import {spinUpCommand} from '../../../src/lib/spin/spin-up.js'

/** smol-toml builds null-prototype tables; compare plain data. */
const parse = (text: string) => JSON.parse(JSON.stringify(parseToml(text))) as unknown

const FILE = '/apps/shop/runtime-config.toml'
const entry = (label: string, store: string, storeFile = `/home/me/.kvcloud/stores/${store}.db`) => ({label, store, storeFile})

describe('runtime config: content', () => {
  it('writes one spin table per label: relative inside the file\'s folder, absolute outside it', () => {
    const {text, change} = renderRuntimeConfig(undefined, FILE, [entry('default', 'case-a', '/apps/shop/.kv/a.db'), entry('promptstore', 'case-b', '/data/b.db')])
    assert.deepEqual(parse(text), {
      key_value_store: {
        default: {type: 'spin', path: '.kv/a.db'},
        promptstore: {type: 'spin', path: '/data/b.db'},
      },
    })
    assert.match(text, /^\[key_value_store\.default\]\n# Managed by kvcloud: key value store "case-a"\./)
    assert.deepEqual(change.written, ['default', 'promptstore'])
    assert.equal(change.changed, true)
  })

  it("keeps the user's other entries and comments as written, and rewrites only its own table on a relink", () => {
    const original = [
      '# my settings',
      '[key_value_store.cache]',
      'type = "redis"   # local redis',
      'url = "redis://localhost"',
      '',
      '[sqlite_database.default]',
      'type = "spin"',
      'path = "db.sqlite"',
      '',
    ].join('\n')
    const first = renderRuntimeConfig(original, FILE, [entry('promptstore', 'case-a')]).text
    assert.ok(first.startsWith(original), 'the original text is kept verbatim')
    const relinked = renderRuntimeConfig(first, FILE, [entry('promptstore', 'case-b')])
    assert.equal(relinked.text, first.replace(/case-a/g, 'case-b'))
    const again = renderRuntimeConfig(relinked.text, FILE, [entry('promptstore', 'case-b')])
    assert.equal(again.change.changed, false)
  })

  it('rewrites a spin table of the same label in place, keeping what follows it', () => {
    const original = '[key_value_store.promptstore]\ntype = "spin"\npath = "old.db"\n\n[key_value_store.other]\ntype = "spin"\n'
    const {text} = renderRuntimeConfig(original, FILE, [entry('promptstore', 'case-a', '/apps/shop/new.db')])
    assert.equal(
      text,
      '[key_value_store.promptstore]\n# Managed by kvcloud: key value store "case-a". kvcloud deploy and kvcloud link rewrite this table.\ntype = "spin"\npath = "new.db"\n\n[key_value_store.other]\ntype = "spin"\n',
    )
  })

  it('keeps comments the user wrote after a kvcloud table when it is rewritten or removed', () => {
    const written = renderRuntimeConfig(undefined, FILE, [entry('promptstore', 'case-a')]).text
    const edited = written + '# my own comment\n[key_value_store.cache]\ntype = "redis"\n'
    const relinked = renderRuntimeConfig(edited, FILE, [entry('promptstore', 'case-b')]).text
    assert.equal(relinked, edited.replace(/case-a/g, 'case-b'))
    const removed = renderRuntimeConfig(relinked, FILE, [], ['promptstore']).text
    assert.equal(removed, '# my own comment\n[key_value_store.cache]\ntype = "redis"\n')
  })

  it("leaves a label the user configured with another store type alone and says so", () => {
    const original = '[key_value_store.cache]\ntype = "redis"\nurl = "redis://localhost"\n'
    const {text, change} = renderRuntimeConfig(original, FILE, [entry('cache', 'case-a')])
    assert.equal(text, original)
    assert.deepEqual(change.keptUserEntries, [{label: 'cache', type: 'redis'}])
    assert.deepEqual(change.written, [])
    assert.equal(change.changed, false)
  })

  it('handles tables written in other shapes by rewriting the document, entries intact', () => {
    const original = 'key_value_store = { promptstore = { type = "spin", path = "x.db" } }\n[other]\nkeep = 1\n'
    const {text} = renderRuntimeConfig(original, FILE, [entry('promptstore', 'case-a', '/apps/shop/y.db')])
    assert.deepEqual(parse(text), {other: {keep: 1}, key_value_store: {promptstore: {type: 'spin', path: 'y.db'}}})
  })

  it('removes only the tables kvcloud wrote', () => {
    const original = '[key_value_store.mine]\ntype = "spin"\npath = "mine.db"\n'
    const written = renderRuntimeConfig(original, FILE, [entry('promptstore', 'case-a')]).text
    const {text, change} = renderRuntimeConfig(written, FILE, [], ['promptstore', 'mine'])
    assert.deepEqual(change.removed, ['promptstore'])
    assert.equal(text, original)
  })

  it('edits sqlite_database tables the same way, leaving the key_value_store tables beside them alone', () => {
    const kv = renderRuntimeConfig(undefined, FILE, [entry('default', 'case-a')]).text
    const {text, change} = renderRuntimeConfig(kv, FILE, [entry('default', 'orders', '/data/orders.db')], [], 'sqlite_database')
    assert.deepEqual(change.written, ['default'])
    assert.equal(text.slice(0, kv.length), kv)
    assert.match(text, /\n\[sqlite_database\.default\]\n# Managed by kvcloud: SQLite database "orders"\./)
    assert.deepEqual(parse(text), {
      key_value_store: {default: {type: 'spin', path: '/home/me/.kvcloud/stores/case-a.db'}},
      sqlite_database: {default: {type: 'spin', path: '/data/orders.db'}},
    })
    const removed = renderRuntimeConfig(text, FILE, [], ['default'], 'sqlite_database')
    assert.deepEqual(removed.change.removed, ['default'])
    assert.equal(removed.text, kv)
  })

  it('refuses a broken file with its name and line, and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvcloud-rc-'))
    try {
      const file = join(dir, 'runtime-config.toml')
      writeFileSync(file, '[key_value_store.a]\ntype = "spin\n')
      assert.throws(() => updateRuntimeConfig(file, [entry('a', 'x')]), (error: unknown) => {
        assert.ok(error instanceof InvalidInputError)
        assert.match(error.message, new RegExp(`^Invalid runtime config ${file}, line 2: not valid TOML`))
        return true
      })
      assert.equal(readFileSync(file, 'utf8'), '[key_value_store.a]\ntype = "spin\n')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('runtime config: files and paths', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kvcloud-rc-'))
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('defaults to runtime-config.toml beside the manifest; --runtime-config is relative to the working directory', () => {
    assert.equal(runtimeConfigPath('/apps/shop/spin.toml', undefined), '/apps/shop/runtime-config.toml')
    assert.equal(runtimeConfigPath('/apps/shop/spin.toml', 'conf/rc.toml', '/work'), '/work/conf/rc.toml')
  })

  it('uses the absolute path unless the store file is inside the runtime config\'s folder', () => {
    assert.equal(storePathFor('/a/rc.toml', '/a/b/c.db'), 'b/c.db')
    assert.equal(storePathFor('/a/rc.toml', '/a'), '/a')
    assert.equal(storePathFor('/a/b/rc.toml', '/a/c.db'), '/a/c.db')
    assert.equal(storePathFor('/a/b/rc.toml', '/a/..b/c.db'), '/a/..b/c.db')
  })

  it('creates, then updates the file on disk, in a folder that must exist', async () => {
    const file = join(dir, 'nested', 'rc.toml')
    assert.throws(() => updateRuntimeConfig(file, [entry('default', 'a', join(dir, 'a.db'))]), (error: unknown) =>
      error instanceof InvalidInputError && error.message === `Cannot write the runtime config ${file}: the folder ${join(dir, 'nested')} does not exist.`)
    assert.equal(existsSync(join(dir, 'nested')), false)
    mkdirSync(join(dir, 'nested'))
    const first = updateRuntimeConfig(file, [entry('default', 'a', join(dir, 'a.db'))])
    assert.equal(first.changed, true)
    assert.deepEqual(parse(readFileSync(file, 'utf8')), {key_value_store: {default: {type: 'spin', path: join(dir, 'a.db')}}})
    const second = updateRuntimeConfig(file, [entry('default', 'a', join(dir, 'a.db'))])
    assert.equal(second.changed, false)
  })

  it('prints the spin up line with short paths', () => {
    assert.equal(spinUpCommand('/apps/shop/spin.toml', '/apps/shop/runtime-config.toml', '/apps/shop'), 'spin up --runtime-config-file runtime-config.toml')
    assert.equal(
      spinUpCommand('/apps/shop/spin.toml', '/apps/shop/runtime-config.toml', '/apps'),
      'spin up -f shop/spin.toml --runtime-config-file shop/runtime-config.toml',
    )
    assert.equal(spinUpCommand('/my apps/x.toml', '/my apps/rc.toml', '/my apps'), 'spin up -f x.toml --runtime-config-file rc.toml')
  })

  it('remembers where each app keeps its runtime config in the catalog, until the app is deleted', async () => {
    const backend = LocalBackend.open({home: dir, limits: DEFAULT_LIMITS})
    try {
      await backend.deploy({app: {name: 'shop', components: []}, links: []})
      await backend.deploy({app: {name: 'constructor', components: []}, links: []})
      assert.equal(await backend.runtimeConfigLocation('shop'), undefined)
      await backend.rememberRuntimeConfig('shop', {runtimeConfig: '/apps/shop/runtime-config.toml', manifest: '/apps/shop/spin.toml'})
      await backend.rememberRuntimeConfig('constructor', {runtimeConfig: '/p/rc.toml', manifest: '/p/spin.toml'})
      await assert.rejects(backend.rememberRuntimeConfig('nope', {runtimeConfig: '/n/rc.toml', manifest: '/n/spin.toml'}), /Could not find app 'nope'/)
    } finally {
      await backend.close()
    }
    const reopened = LocalBackend.open({home: dir, limits: DEFAULT_LIMITS})
    try {
      assert.deepEqual(await reopened.runtimeConfigLocation('shop'), {runtimeConfig: '/apps/shop/runtime-config.toml', manifest: '/apps/shop/spin.toml'})
      assert.deepEqual(await reopened.runtimeConfigLocation('constructor'), {runtimeConfig: '/p/rc.toml', manifest: '/p/spin.toml'})
      await reopened.deleteApp('shop')
      await reopened.deploy({app: {name: 'shop', components: []}, links: []})
      assert.equal(await reopened.runtimeConfigLocation('shop'), undefined, 'a new app of the same name starts without one')
    } finally {
      await reopened.close()
    }
  })

  it('carries over the records of kvcloud 0.1\'s runtime-configs.json when the catalog is upgraded, once, and removes the file', async () => {
    // The catalog as kvcloud 0.1 left it: schema 1, no runtime_configs table. Made from a real
    // catalog of schema 3 (test/fixtures/catalog-schema-3, app "shop") by undoing migrations 2 and 3.
    copyFileSync(fileURLToPath(new URL('../../fixtures/catalog-schema-3/catalog.db', import.meta.url)), join(dir, 'catalog.db'))
    const catalog = openSqlite(join(dir, 'catalog.db'))
    catalog.exec(`DROP TABLE runtime_configs; DROP TABLE orphan_files;
      INSERT INTO apps (name, revision, components, created_at, deployed_at) VALUES ('blog', 1, '[]', '2026-01-01', '2026-01-01');
      PRAGMA user_version = 1`)
    catalog.close()
    const legacy = join(dir, 'runtime-configs.json')
    writeFileSync(legacy, JSON.stringify({apps: [
      {app: 'shop', runtimeConfig: '/apps/shop/runtime-config.toml', manifest: '/apps/shop/spin.toml'},
      {app: 'gone', runtimeConfig: '/gone/rc.toml', manifest: '/gone/spin.toml'},
      {app: 'broken', runtimeConfig: 7},
    ]}))
    const backend = LocalBackend.open({home: dir, limits: DEFAULT_LIMITS})
    try {
      assert.equal(existsSync(legacy), false)
      assert.deepEqual(await backend.runtimeConfigLocation('shop'), {runtimeConfig: '/apps/shop/runtime-config.toml', manifest: '/apps/shop/spin.toml'})
      assert.equal(await backend.runtimeConfigLocation('blog'), undefined)
    } finally {
      await backend.close()
    }
    // Upgraded already: a file that turns up later is neither read nor removed.
    writeFileSync(legacy, JSON.stringify({apps: [{app: 'blog', runtimeConfig: '/old/blog/rc.toml', manifest: '/old/blog/spin.toml'}]}))
    const again = LocalBackend.open({home: dir, limits: DEFAULT_LIMITS})
    try {
      assert.equal(existsSync(legacy), true)
      assert.equal(await again.runtimeConfigLocation('blog'), undefined)
    } finally {
      await again.close()
    }
  })
})
