import assert from 'node:assert/strict'
import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {withBackend} from '../../helpers/app-dir.js'
import {runCli} from '../../helpers/cli.js'
import {useHome} from '../../helpers/fixtures.js'
import {runSpinApp} from '../../spin/run-spin-app.js'
import {writeSpinStoreFile} from '../../spin/spin-sql.js'

describe('data Spin wrote (real binary)', function () {
  this.timeout(60_000)
  const {home: currentHome} = useHome()
  let home: string
  beforeEach(function () {
    home = currentHome()
  })

  it('kv import takes a Spin store file: the "default" label, or --from-label, byte for byte', async function () {
    mkdirSync(join(home, 'app', '.spin'), {recursive: true})
    const file = join(home, 'app', '.spin', 'sqlite_key_value.db')
    const binary = Buffer.from([0, 255, 1, 254])
    writeSpinStoreFile(file, [
      ['default', 'greeting', Buffer.from('hello')],
      ['default', 'bytes', binary],
      ['other', 'only-other', Buffer.from('x')],
    ])
    assert.equal((await runCli(['kv', 'create', 'copy'], {home})).exitCode, 0)
    const imported = await runCli(['kv', 'import', '-s', 'copy', file], {home})
    assert.equal(imported.exitCode, 0, imported.stderr)
    assert.match(imported.stderr, /Imported 2 pairs from the "default" label of .*sqlite_key_value\.db into key value store "copy"/)
    assert.deepEqual((await runCli(['kv', 'get', '-s', 'copy', 'bytes'], {home})).stdoutBytes, binary)
    assert.equal((await runCli(['kv', 'keys', '-s', 'copy'], {home})).stdout, 'bytes\ngreeting\n')

    const other = await runCli(['kv', 'import', '-s', 'copy', file, '--from-label', 'other', '--json'], {home})
    assert.deepEqual(JSON.parse(other.stdout), {count: 1})

    const missing = await runCli(['kv', 'import', '-s', 'copy', file, '--from-label', 'nothing-here'], {home})
    assert.equal(missing.exitCode, 2)
    assert.match(missing.stderr, /has no pairs under the label "nothing-here". Nothing was imported\.\n.*Its labels: default, other/)
    const notSqlite = await runCli(['kv', 'import', '-s', 'copy', '-', '--from-label', 'other'], {home, input: '{"key":"a","value":"b"}\n'})
    assert.equal(notSqlite.exitCode, 2)
    assert.match(notSqlite.stderr, /--from-label reads a Spin store file/)
    assert.equal((await runCli(['kv', 'keys', '-s', 'copy'], {home})).stdout, 'bytes\ngreeting\nonly-other\n')
  })

  it('reads, exports and imports back keys and values Spin wrote past the write limits', async function () {
    const longKey = 'k'.repeat(300)
    const bigValue = Buffer.alloc(1024 * 1024 + 10, 7)
    let file = ''
    await withBackend(home, async (backend) => {
      await backend.createStore('spun')
      await backend.deploy({
        app: {name: 'writer', components: [{id: 'web', keyValueStores: ['default'], sqliteDatabases: []}]},
        links: [{label: 'default', store: 'spun', create: false}],
      })
      file = backend.storeFilePath('spun')
    })
    writeSpinStoreFile(file, [['default', longKey, Buffer.from('long')], ['default', 'big', bigValue]])

    assert.equal((await runCli(['kv', 'get', '-s', 'spun', longKey], {home})).stdout, 'long')
    assert.equal((await runCli(['kv', 'get', '-s', 'spun', 'big'], {home})).stdoutBytes.length, bigValue.length)
    const exported = await runCli(['kv', 'export', '-s', 'spun', '--format', 'ndjson'], {home})
    assert.equal(exported.exitCode, 0, exported.stderr)
    assert.equal((await runCli(['kv', 'create', 'again'], {home})).exitCode, 0)
    const imported = await runCli(['kv', 'import', '-s', 'again', '-'], {home, input: exported.stdout})
    assert.equal(imported.exitCode, 0, imported.stderr)
    assert.deepEqual((await runCli(['kv', 'get', '-s', 'again', 'big'], {home})).stdoutBytes, bigValue)
    // New writes keep to the limits.
    const refused = await runCli(['kv', 'set', '-s', 'again', `${longKey}=x`], {home})
    assert.equal(refused.exitCode, 2)
    assert.match(refused.stderr, /the key limit is 256 bytes/)
  })

  it('a counter set with --counter is one Spin\'s increment accepts, and kv get --counter reads what Spin counted', async function () {
    let file = ''
    await withBackend(home, async (backend) => {
      await backend.createStore('counts')
      await backend.deploy({
        app: {name: 'counter', components: [{id: 'web', keyValueStores: ['default'], sqliteDatabases: []}]},
        links: [{label: 'default', store: 'counts', create: false}],
      })
      file = backend.storeFilePath('counts')
    })
    assert.equal((await runCli(['kv', 'set', '-s', 'counts', 'visits=41', 'big=-9223372036854775808', '--counter'], {home})).exitCode, 0)
    const spin = await runSpinApp(file, 'default', {increments: 1, counter: 'visits'})
    assert.deepEqual(spin.failures, [])
    assert.equal((await runCli(['kv', 'get', '-s', 'counts', 'visits', '--counter'], {home})).stdout, '42\n')
    assert.deepEqual(JSON.parse((await runCli(['kv', 'get', '-s', 'counts', 'visits', '--counter', '--json'], {home})).stdout), {key: 'visits', counter: 42})
    assert.deepEqual(JSON.parse((await runCli(['kv', 'get', '-s', 'counts', 'big', '--counter', '--json'], {home})).stdout), {key: 'big', counter: '-9223372036854775808'})
    // Without --counter, a script still gets the 8 bytes exactly.
    assert.equal((await runCli(['kv', 'get', '-s', 'counts', 'visits'], {home})).stdoutBytes.readBigInt64LE(), 42n)

    const notNumber = await runCli(['kv', 'set', '-s', 'counts', 'visits=many', '--counter'], {home})
    assert.equal(notNumber.exitCode, 2)
    assert.match(notNumber.stderr, /--counter needs a whole number from -9223372036854775808 to 9223372036854775807; key "visits" has "many"/)
    const tooBig = await runCli(['kv', 'set', '-s', 'counts', 'visits=9223372036854775808', '--counter'], {home})
    assert.equal(tooBig.exitCode, 2)
    assert.equal((await runCli(['kv', 'set', '-s', 'counts', 'text=hello'], {home})).exitCode, 0)
    const notCounter = await runCli(['kv', 'get', '-s', 'counts', 'text', '--counter'], {home})
    assert.equal(notCounter.exitCode, 2)
    assert.match(notCounter.stderr, /The value of key "text" is 5 bytes, not a Spin counter/)
    assert.equal((await runCli(['kv', 'get', '-s', 'counts', 'visits', '--counter'], {home})).stdout, '42\n', 'refusals changed nothing')
  })
})
