import assert from 'node:assert/strict'
import {join} from 'node:path'
import type {Command} from '@oclif/core'
import Deploy from '../../src/commands/deploy.js'
import KvGet from '../../src/commands/kv/get.js'
import {DEPLOY_OPTIONS} from '../../src/fast-path/deploy.js'
import {KV_GET_OPTIONS} from '../../src/fast-path/kv-get.js'
import type {FastOptions} from '../../src/fast-path/options.js'
import {runCli, tempHome} from '../helpers/cli.js'
import {withBackend, writeApp} from '../helpers/app-dir.js'

type FlagTable = Record<string, {type: string; char?: string; multiple?: boolean}>

function flagsOf(command: typeof Command & {baseFlags?: FlagTable}): FlagTable {
  return {...(command.baseFlags as FlagTable), ...(command.flags as unknown as FlagTable)}
}

/** Each fast option as the oclif flag of the same name would be read: its char, its type, whether it repeats. */
function compare(fast: FastOptions, flags: FlagTable): string[] {
  const problems: string[] = []
  for (const [name, option] of Object.entries(fast)) {
    const flag = flags[name]
    if (!flag) {
      problems.push(`--${name}: the command has no such flag`)
      continue
    }
    if ((option.short ?? undefined) !== (flag.char ?? undefined)) problems.push(`--${name}: short -${option.short} vs the command's -${flag.char}`)
    if ((option.type === 'boolean') !== (flag.type === 'boolean')) problems.push(`--${name}: ${option.type} vs the command's ${flag.type}`)
    if (Boolean(option.multiple) !== Boolean(flag.multiple)) problems.push(`--${name}: multiple ${Boolean(option.multiple)} vs the command's ${Boolean(flag.multiple)}`)
  }
  return problems
}

describe('the fast paths take exactly what their commands take', function () {
  this.timeout(120_000)

  it('kv get and deploy: every fast option is the command flag of that name, char, type and repetition', () => {
    assert.deepEqual(compare(KV_GET_OPTIONS, flagsOf(KvGet as never)), [])
    assert.deepEqual(compare(DEPLOY_OPTIONS, flagsOf(Deploy as never)), [])
  })

  it('kv get through the binary: the same answer and exit code with and without the fast path, for each spelling', async () => {
    const {home, cleanup} = tempHome()
    try {
      await withBackend(home, async (backend) => {
        await backend.createStore('fast')
        await backend.createStore('other')
        await backend.setValues({store: 'fast'}, [{key: 'greeting', value: Buffer.from('hello')}])
        await backend.setValues({store: 'other'}, [{key: 'greeting', value: Buffer.from('from other')}])
        await backend.deploy({
          app: {name: 'app', components: [{id: 'c', keyValueStores: ['cache'], sqliteDatabases: []}]},
          links: [{label: 'cache', store: 'fast', create: false}],
        })
      })
      const spellings = [
        ['-s', 'fast', 'greeting'],
        ['--store=fast', 'greeting'],
        ['greeting', '--store', 'fast'],
        ['-s', 'fast', '-s', 'other', 'greeting'],
        ['--store=other', '--store', 'fast', 'greeting'],
        ['-s=fast', 'greeting'],
        ['-sfast', 'greeting'],
        ['-s', 'fast', '--', 'greeting'],
        ['-l', 'cache', '-a', 'app', 'greeting'],
        ['-l', 'cache', '-l', 'cache', '-a', 'app', 'greeting'],
        ['-l', 'cache', '-a', 'app', '-a', 'app', 'greeting'],
        ['-s', 'fast', '--local', '--local', 'greeting'],
        ['-s', '', 'greeting'],
        ['--store=', 'greeting'],
      ]
      const differences: string[] = []
      for (const spelling of spellings) {
        const args = ['kv', 'get', ...spelling]
        const fast = await runCli(args, {home})
        const full = await runCli(args, {home, env: {KVCLOUD_NO_FAST_PATH: '1'}})
        if (fast.exitCode !== full.exitCode || fast.stdout !== full.stdout || fast.stderr !== full.stderr) {
          differences.push(`${JSON.stringify(spelling)}: fast ${fast.exitCode} ${JSON.stringify(fast.stdout)}, command ${full.exitCode} ${JSON.stringify(full.stdout)} ${JSON.stringify(full.stderr)}`)
        }
      }
      assert.deepEqual(differences, [])
      // The case of issue 10: the command refuses a repeated --store, so the fast path must too.
      const repeated = await runCli(['kv', 'get', '-s', 'fast', '-s', 'other', 'greeting'], {home})
      assert.equal(repeated.exitCode, 2, repeated.stdout)
      assert.equal(repeated.stdout, '')
      const empty = await runCli(['kv', 'get', '--store=', 'greeting'], {home})
      assert.equal(empty.exitCode, 2)
      assert.match(empty.stderr, /^Error: Invalid key value store name ""\. A store name is 1 to 64 characters/m)
    } finally {
      cleanup()
    }
  })

  it('deploy: a failure after the deploy is applied reports it as the command does (the fast path\'s after-deploy branch)', async () => {
    const runs: Array<{exitCode: number; stdout: string; stderr: string}> = []
    for (const env of [{}, {KVCLOUD_NO_FAST_PATH: '1'}]) {
      const {home, cleanup} = tempHome()
      try {
        const appDir = join(home, 'app')
        writeApp(appDir, 'shop', ['default'])
        // A runtime config name one step under the file-name limit: reading it finds no file (so
        // the checks before the deploy pass), and writing its temporary file beside it fails.
        const runtimeConfig = join(appDir, 'r'.repeat(245) + '.toml')
        const result = await runCli(['deploy', '--yes', '--runtime-config', runtimeConfig], {home, cwd: appDir, env})
        runs.push({exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr.replaceAll(home, 'HOME').replace(/kvcloud-\d+\.tmp/g, 'kvcloud-PID.tmp')})
        const info = JSON.parse((await runCli(['apps', 'info', 'shop', '--json'], {home})).stdout)
        assert.equal(info.revision, 1, 'the deploy itself was applied')
      } finally {
        cleanup()
      }
    }
    const [fast, full] = runs
    assert.equal(fast!.exitCode, 1, fast!.stderr)
    assert.match(fast!.stdout, /^App "shop" deployed \(revision 1\)\.$/m)
    assert.match(fast!.stderr, /^Error: App "shop" was deployed \(revision 1\), but the runtime config for spin up was not written: Cannot write the runtime config .*ENAMETOOLONG/m)
    assert.match(fast!.stderr, /Fix that, then run "kvcloud deploy" again: it keeps the links and rewrites the file\./)
    assert.deepEqual(fast, full)
  })
})
