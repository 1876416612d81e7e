import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {readFileSync, readdirSync, rmSync, truncateSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {runCli, tempHome} from '../helpers/cli.js'

const hash = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

describe('damaged files', function () {
  let home: string
  let cleanup: () => void

  beforeEach(async function () {
    ;({home, cleanup} = tempHome())
    assert.equal((await runCli(['kv', 'create', 'demo'], {home})).exitCode, 0)
    const filler = Array.from({length: 300}, (_, i) => `key-${i}=${'v'.repeat(200)}`)
    assert.equal((await runCli(['kv', 'set', '-s', 'demo', ...filler], {home})).exitCode, 0)
  })

  afterEach(function () {
    cleanup()
  })

  function storeFile(): string {
    const name = readdirSync(join(home, 'stores')).find((file) => file.endsWith('.db'))!
    return join(home, 'stores', name)
  }

  async function expectRefusal(args: string[], path: string, message: RegExp): Promise<void> {
    const before = hash(path)
    const result = await runCli(args, {home})
    assert.equal(result.exitCode, 1, result.stderr)
    assert.equal(result.stdout, '')
    assert.ok(result.stderr.includes(path), `stderr names ${path}: ${result.stderr}`)
    assert.match(result.stderr, message)
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace')
    assert.equal(hash(path), before, 'the damaged file is left exactly as it was')
  }

  it('a catalog that is not SQLite', async function () {
    const catalog = join(home, 'catalog.db')
    rmSync(catalog + '-wal', {force: true})
    rmSync(catalog + '-shm', {force: true})
    writeFileSync(catalog, 'this is a text file that someone saved over the catalog, not a database at all.'.repeat(20))
    await expectRefusal(['kv', 'list'], catalog, /damaged or is not a SQLite database[\s\S]*Restore it from a backup/)
    await expectRefusal(['kv', 'create', 'another'], catalog, /damaged/)
  })

  it('a truncated store file', async function () {
    const path = storeFile()
    truncateSync(path, 2048)
    await expectRefusal(['kv', 'get', '-s', 'demo', 'key-299'], path, /damaged or is not a SQLite database/)
    await expectRefusal(['kv', 'set', '-s', 'demo', 'new=1'], path, /damaged/)
  })

  it('a store file replaced by something else', async function () {
    const path = storeFile()
    writeFileSync(path, Buffer.alloc(8192, 7))
    await expectRefusal(['kv', 'keys', '-s', 'demo'], path, /damaged or is not a SQLite database/)
  })

  it('an unreadable config file', async function () {
    const config = join(home, 'config.json')
    writeFileSync(config, '{"limits": {')
    await expectRefusal(['kv', 'list'], config, /Cannot read the kvcloud config file[\s\S]*Fix or remove that file/)
    await expectRefusal(['kv', 'get', '-s', 'demo', 'key-1'], config, /Cannot read the kvcloud config file/)
  })

  it('a config file written by a newer kvcloud', async function () {
    const config = join(home, 'config.json')
    writeFileSync(config, JSON.stringify({configVersion: 99, future: {setting: true}}))
    await expectRefusal(['kv', 'list'], config, /written by a newer kvcloud[\s\S]*Upgrade kvcloud/)
  })
})
