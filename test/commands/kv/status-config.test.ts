import {strict as assert} from 'node:assert'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {createStores, useHome} from '../../helpers/fixtures.js'
import {sqliteBinding} from '../../../src/lib/sqlite/sqlite-binding.js'

/** The SQLite this Node gives kvcloud, asked of a connection of the test's own. */
function sqliteHere(): {binding: string; version: string} {
  const db = sqliteBinding().connect(':memory:', {readonly: false, mustExist: false, busyTimeoutMs: 0})
  try {
    return {binding: sqliteBinding().name, version: db.prepare<[], string>('SELECT sqlite_version()').pluck().get()!}
  } finally {
    db.close()
  }
}

describe('status and config (in-process)', function () {
  this.timeout(60_000)
  const {home, kv} = useHome({inProcess: true})

  it('status says which backend is in use and where', async () => {
    const [text, json] = await Promise.all([kv(['status']), kv(['status', '--json'])])
    const sqlite = sqliteHere()
    assert.equal(text.exitCode, 0, text.stderr)
    assert.equal(
      text.stdout,
      [
        'Backend: local',
        `Data folder: ${home()}`,
        `Catalog: ${join(home(), 'catalog.db')}`,
        `SQLite: ${sqlite.version}, through ${sqlite.binding === 'node:sqlite' ? `node:sqlite (built into Node ${process.versions.node})` : 'better-sqlite3 (this Node has no node:sqlite)'}`,
        `Config file: ${join(home(), 'config.json')}`,
        'Limits: keys up to 256 bytes, values up to 1 MiB',
        '',
      ].join('\n'),
    )
    assert.equal(text.stderr, '')
    assert.deepEqual(JSON.parse(json.stdout), {
      kind: 'local',
      home: home(),
      catalog: join(home(), 'catalog.db'),
      sqlite,
      configFile: join(home(), 'config.json'),
      limits: {maxKeyBytes: 256, maxValueBytes: 1048576},
    })
  })

  it('config get shows the defaults; config set changes them, and status and kv set follow', async () => {
    const before = await kv(['config', 'get'])
    assert.equal(before.stdout, 'max-key-bytes    256 (default)\nmax-value-bytes  1048576 (default)\n')
    const set = await kv(['config', 'set', 'max-key-bytes', '8'])
    assert.equal(set.exitCode, 0, set.stderr)
    assert.equal(set.stdout, 'max-key-bytes is now 8 bytes\n')
    assert.deepEqual(JSON.parse(readFileSync(join(home(), 'config.json'), 'utf8')).limits, {maxKeyBytes: 8})
    const [one, json, status] = await Promise.all([
      kv(['config', 'get', 'max-key-bytes']),
      kv(['config', 'get', 'max-key-bytes', '--json']),
      kv(['status']),
    ])
    assert.equal(one.stdout, '8\n')
    assert.deepEqual(JSON.parse(json.stdout), {
      key: 'max-key-bytes',
      value: 8,
      source: 'config',
      default: 256,
      description: 'Longest key accepted, in bytes of UTF-8',
    })
    assert.match(status.stdout, /Limits: keys up to 8 bytes/)
    await createStores(home(), 'store-a')
    const refused = await kv(['kv', 'set', '-s', 'store-a', 'ninechars=v'])
    assert.equal(refused.exitCode, 2)
    assert.match(refused.stderr, /is 9 bytes; the key limit is 8 bytes/)
  })

  it('config set refuses values that are not whole numbers in range, and unknown keys (exit 2)', async () => {
    const results = await Promise.all([
      kv(['config', 'set', 'max-value-bytes', 'lots']),
      kv(['config', 'set', 'max-value-bytes', '0']),
      kv(['config', 'set', 'max-value-bytes', '1.5']),
      kv(['config', 'set', 'colour', '1']),
      kv(['config', 'get', 'colour']),
    ])
    for (const result of results) {
      assert.equal(result.exitCode, 2, result.stderr)
      assert.equal(result.stdout, '')
    }
    assert.match(results[0]!.stderr, /Invalid value "lots" for max-value-bytes: it must be a whole number of bytes from 1 to 1,000,000,000/)
    assert.match(results[3]!.stderr, /Expected colour to be one of: max-key-bytes, max-value-bytes/)
    const after = await kv(['config', 'get', 'max-value-bytes'])
    assert.equal(after.stdout, '1048576\n')
  })
})
