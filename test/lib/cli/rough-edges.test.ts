import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'
import {runCli, tempHome} from '../../helpers/cli.js'
import {writeApp} from '../../helpers/app-dir.js'
import {startServerProcess} from '../../helpers/server-process.js'

describe('rough edges of issue 10 (real binary)', function () {
  this.timeout(90_000)
  let home: string
  let cleanup: () => void
  beforeEach(() => ({home, cleanup} = tempHome()))
  afterEach(() => cleanup())

  it('server start on a taken port fails before creating anything in the data folder', async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    try {
      const data = join(home, 'data')
      const result = await runCli(['server', 'start', '--port', String((taken.address() as AddressInfo).port), '--data', data], {home})
      assert.equal(result.exitCode, 1, result.stderr)
      assert.match(result.stderr, /^Error: Port \d+ on 127\.0\.0\.1 is already in use, so the kvcloud server cannot start\.$/m)
      assert.equal(existsSync(join(data, 'server.db')), false)
    } finally {
      taken.close()
    }
  })

  it('autocomplete writes its cache under KVCLOUD_HOME, not ~/.cache', async () => {
    const fakeHome = join(home, 'user-home')
    mkdirSync(fakeHome)
    const result = await runCli(['autocomplete', '--refresh-cache'], {home, env: {HOME: fakeHome, XDG_CACHE_HOME: undefined}})
    assert.equal(result.exitCode, 0, result.stderr)
    assert.deepEqual(readdirSync(fakeHome), [])
    assert.ok(existsSync(join(home, 'cache', 'autocomplete')), readdirSync(home).join(','))
  })

  it('deploy refuses an app name Spin would not make, naming file and line; long names keep the label in store names', async () => {
    const appDir = join(home, 'bad')
    writeApp(appDir, 'Bad App!', ['default'])
    const bad = await runCli(['deploy', '--yes'], {home, cwd: appDir})
    assert.equal(bad.exitCode, 2, bad.stderr)
    assert.match(bad.stderr, /^Error: Invalid Spin manifest .*bad\/spin\.toml, line 4: invalid app name "Bad App!" in application\.name\./m)
    assert.equal((await runCli(['kv', 'list', '--json'], {home})).stdout.trim(), '[]')
    const longDir = join(home, 'long')
    const longName = 'inventory-' + 'a'.repeat(50)
    writeApp(longDir, longName, ['default'])
    const json = JSON.parse((await runCli(['deploy', '--yes', '--json'], {home, cwd: longDir})).stdout)
    const store = json.labels[0].store as string
    assert.ok(store.length <= 64 && store.endsWith('-default') && store.startsWith('inventory'), store)
  })

  it('one number format for pair counts; server token hints name the real URL and --data', async () => {
    const file = join(home, 'pairs.ndjson')
    writeFileSync(file, Array.from({length: 1234}, (_, i) => JSON.stringify({key: `k${i}`, value: 'v'})).join('\n') + '\n')
    assert.equal((await runCli(['kv', 'create', 'many'], {home})).exitCode, 0)
    const imported = await runCli(['kv', 'import', '-s', 'many', file], {home})
    assert.equal(imported.stderr, 'Imported 1,234 pairs into key value store "many"\n')
    assert.match((await runCli(['kv', 'export', '-s', 'many', '-o', join(home, 'out.json')], {home})).stderr, /^Exported 1,234 pairs/)

    const data = join(home, 'srv')
    const server = await startServerProcess(['--port', '0', '--data', data], {home})
    try {
      const created = await runCli(['server', 'token', 'create', '--account', 'team-a', '--data', data], {home})
      assert.match(created.stderr, new RegExp(`Users log in with: kvcloud login --url ${server.url} --token TOKEN, where TOKEN is the line printed above on stdout`))
    } finally {
      await server.stop()
    }
    const revoke = await runCli(['server', 'token', 'revoke', 'tok_000000000000', '--data', data], {home})
    assert.equal(revoke.exitCode, 3)
    assert.match(revoke.stderr, new RegExp(`Run "kvcloud server token list --data ${data}" to see the tokens`))
    const help = await runCli(['config', '--help'], {home})
    assert.match(help.stdout, /Show and change kvcloud settings/)
  })

  it('deploy to a server warns about a local runtime config pointing at local stores', async () => {
    const appDir = join(home, 'app')
    writeApp(appDir, 'shop', ['default'])
    assert.equal((await runCli(['deploy', '--yes'], {home, cwd: appDir})).exitCode, 0)
    const before = readFileSync(join(appDir, 'runtime-config.toml'), 'utf8')
    const data = join(home, 'srv')
    const server = await startServerProcess(['--port', '0', '--data', data], {home})
    try {
      const token = (await runCli(['server', 'token', 'create', '--account', 'team-a', '--data', data], {home})).stdout.trim()
      const remote = await runCli(['deploy', '--yes'], {home, cwd: appDir, env: {KVCLOUD_URL: server.url, KVCLOUD_TOKEN: token}})
      assert.equal(remote.exitCode, 0, remote.stderr)
      // oclif wraps a warning to the terminal width; read it as one line.
      const stderr = remote.stderr.replace(/ *\n › {3}/g, ' ')
      assert.match(stderr, /Warning: .*runtime-config\.toml still points label "default" at this machine's local kvcloud stores, not at the server's/)
      assert.match(stderr, /To stop using them, remove kvcloud's \[key_value_store\.LABEL\] tables from .*runtime-config\.toml/)
      assert.equal(readFileSync(join(appDir, 'runtime-config.toml'), 'utf8'), before, 'nothing removed without asking')
    } finally {
      await server.stop()
    }
  })
})
