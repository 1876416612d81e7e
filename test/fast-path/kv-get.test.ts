import assert from 'node:assert/strict'
import {LocalBackend} from '../../src/lib/sqlite/local-backend.js'
import {fastKvGet} from '../../src/fast-path/kv-get.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'
import {runCli, tempHome} from '../helpers/cli.js'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

describe('the kv get fast path', function () {
  let home: string
  let cleanup: () => void

  before(async function () {
    ;({home, cleanup} = tempHome())
    const backend = LocalBackend.open({home, limits: DEFAULT_LIMITS})
    await backend.createStore('fast')
    await backend.setValues({store: 'fast'}, [
      {key: 'greeting', value: Buffer.from('hello')},
      {key: 'bin', value: Buffer.from([0, 255, 10, 13])},
      {key: '-dash', value: Buffer.from('dash')},
    ])
    await backend.deploy({
      app: {name: 'app', components: [{id: 'c', keyValueStores: ['cache'], sqliteDatabases: []}]},
      links: [{label: 'cache', store: 'fast', create: false}],
    })
    await backend.close()
  })

  after(function () {
    cleanup()
  })

  it('answers the plain forms itself and declines everything else', async function () {
    const env = {KVCLOUD_HOME: home}
    const silentStdout = async (argv: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
      const write = process.stdout.write
      process.stdout.write = ((_chunk: unknown, callback?: unknown) => {
        if (typeof callback === 'function') (callback as () => void)()
        return true
      }) as typeof process.stdout.write
      try {
        return await fastKvGet(argv, {...env, ...extraEnv})
      } finally {
        process.stdout.write = write
      }
    }
    assert.equal(await silentStdout(['-s', 'fast', 'greeting']), true)
    assert.equal(await silentStdout(['greeting', '--store=fast']), true)
    assert.equal(await silentStdout(['-l', 'cache', '-a', 'app', 'greeting']), true)
    assert.equal(await silentStdout(['-s', 'fast', 'greeting', '--local'], {KVCLOUD_URL: 'http://127.0.0.1:9', KVCLOUD_TOKEN: 't'}), true)
    for (const argv of [
      ['-s', 'fast', 'greeting', '--json'],
      ['-s', 'fast', '--help'],
      ['-s', 'fast'],
      ['-s', 'fast', 'a', 'b'],
      ['-s', 'fast', '-l', 'cache', 'greeting'],
      ['-l', 'cache', 'greeting'],
      ['-s', 'fast', 'missing'],
      ['-s', 'nostore', 'greeting'],
    ]) {
      assert.equal(await silentStdout(argv), false, argv.join(' '))
    }
    assert.equal(await silentStdout(['-s', 'fast', 'greeting'], {KVCLOUD_URL: 'http://127.0.0.1:9', KVCLOUD_TOKEN: 't'}), false)
    assert.equal(await silentStdout(['-s', 'fast', 'greeting'], {KVCLOUD_BACKEND: 'remote'}), false)
  })

  it('prints exactly what the oclif command prints, for every outcome', async function () {
    const cases = [
      ['kv', 'get', '-s', 'fast', 'greeting'],
      ['kv', 'get', '-s', 'fast', 'bin'],
      ['kv', 'get', '--store=fast', 'greeting'],
      ['kv', 'get', '-l', 'cache', '-a', 'app', 'greeting'],
      ['kv', 'get', '-s', 'fast', '--', '-dash'],
      ['kv', 'get', '-s', 'fast', 'missing'],
      ['kv', 'get', '-s', 'nostore', 'greeting'],
      ['kv', 'get', '-l', 'nolabel', '-a', 'app', 'greeting'],
      ['kv', 'get', '-s', 'fast', '-l', 'cache', 'greeting'],
    ]
    for (const args of cases) {
      const fast = await runCli(args, {home})
      const full = await runCli(args, {home, env: {KVCLOUD_NO_FAST_PATH: '1'}})
      assert.deepEqual(fast.stdoutBytes, full.stdoutBytes, args.join(' '))
      assert.equal(fast.stderr, full.stderr, args.join(' '))
      assert.equal(fast.exitCode, full.exitCode, args.join(' '))
    }
    const bin = await runCli(['kv', 'get', '-s', 'fast', 'bin'], {home})
    assert.deepEqual(bin.stdoutBytes, Buffer.from([0, 255, 10, 13]))
    const missing = await runCli(['kv', 'get', '-s', 'fast', 'missing'], {home})
    assert.equal(missing.exitCode, 3)
    assert.match(missing.stderr, /Key "missing" not found in key value store "fast"/)
  })

  it('steps aside when a config file exists, so user limits and logins apply', async function () {
    const other = tempHome()
    try {
      // A login to a server that is not there: only the full command, which reads the config, says so.
      writeFileSync(join(other.home, 'config.json'), JSON.stringify({login: {url: 'http://127.0.0.1:9', token: 'kvc_never_sent_anywhere', account: 'me'}}))
      const result = await runCli(['kv', 'get', '-s', 'fast', 'toolong'], {home: other.home})
      assert.equal(result.exitCode, 1)
      assert.match(result.stderr, /127\.0\.0\.1:9/)
    } finally {
      other.cleanup()
    }
  })
})
