import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {openSqlite} from '../helpers/sqlite.js'
import {collectAll} from '../../src/lib/backend.js'
import {LocalBackend} from '../../src/lib/sqlite/local-backend.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'

const writer = join(dirname(fileURLToPath(import.meta.url)), 'workers', 'writer.ts')

function runWriter(args: string[]): Promise<{code: number | null; stderr: string}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, ...args])
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('close', (code) => resolve({code, stderr}))
  })
}

describe('many writers on one local store', function () {
  this.timeout(120_000)
  let home: string

  beforeEach(function () {
    home = mkdtempSync(join(tmpdir(), 'kvcloud-conc-'))
  })

  afterEach(function () {
    rmSync(home, {recursive: true, force: true})
  })

  it('loses no write and shows no lock error while Spin-style transactions hold the file', async function () {
    const setup = LocalBackend.open({home, limits: DEFAULT_LIMITS})
    await setup.createStore('busy')
    const path = setup.storeFilePath('busy')
    await setup.close()

    // A Spin-like connection: 5 s busy timeout, short write transactions, over and over.
    const spin = openSqlite(path, {timeout: 5000})
    const upsert = spin.prepare('INSERT INTO spin_key_value (store, key, value) VALUES (?, ?, ?) ON CONFLICT(store, key) DO UPDATE SET value=excluded.value')
    let spinWrites = 0
    let stop = false
    const spinLoop = (async () => {
      while (!stop) {
        spin.transaction(() => {
          for (let i = 0; i < 20; i++) upsert.run('default', `spin-${spinWrites % 50}`, Buffer.from('x'))
        }).immediate()
        spinWrites++
        await new Promise((r) => setTimeout(r, 2))
      }
    })()

    const writers = 8
    const perWriter = 500
    const results = await Promise.all(Array.from({length: writers}, (_, w) => runWriter([home, 'busy', `w${w}`, String(perWriter)])))
    stop = true
    await spinLoop
    spin.close()

    for (const result of results) {
      assert.equal(result.code, 0, result.stderr)
      assert.doesNotMatch(result.stderr, /locked/i)
    }
    const check = LocalBackend.open({home, limits: DEFAULT_LIMITS})
    const keys = await collectAll((cursor) => check.listKeys({store: 'busy'}, {cursor, limit: 1000}))
    await check.close()
    const written = keys.filter((k) => k.startsWith('w'))
    assert.equal(written.length, writers * perWriter)
    assert.ok(spinWrites > 0)
  })
})
