// Every way deploy, link, unlink and apps can refuse without a terminal: each ends (runCli fails
// one that waits for an answer), exits non-zero, says what to do on stderr, prints nothing on
// stdout, and changes nothing. How quickly they end is measured in bench/refusals.js.

import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {binPath, runCli, tempHome} from '../../helpers/cli.js'
import {cli, snapshot, withBackend, writeApp} from '../../helpers/app-dir.js'

describe('deploy, link, unlink and apps: failures without a terminal change nothing', function () {
  this.timeout(60_000)
  let home: string
  let cleanup: () => void
  let appDir: string
  let baseline: string

  before(async () => {
    ;({home, cleanup} = tempHome())
    appDir = join(home, 'shop')
    // One deployed app with one link, and two stores, so "nothing changed" has something to lose.
    await withBackend(home, async (backend) => {
      await backend.createStore('case-a')
      await backend.createStore('case-b')
    })
    writeApp(appDir, 'shop', ['cache'])
    await cli(['deploy', '--link', 'kv:cache=case-a'], {home, cwd: appDir})
    writeApp(appDir, 'shop', ['cache', 'promptstore', 'sessions'], '[component.db]\nsource = "db.wasm"\nsqlite_databases = ["audit"]\n')
    baseline = await snapshot(home)
  })
  after(() => cleanup())
  // Checked after every test rather than every call, to keep the suite quick; a test's refusals
  // are all checked against the state before it.
  afterEach(async function () {
    if (this.currentTest?.state === 'passed') assert.equal(await snapshot(home), baseline, 'stores, links and apps are unchanged')
  })

  async function refuses(args: string[], exitCode: number, stderr: RegExp, options: {cwd?: string} = {}) {
    const result = await runCli(args, {home, cwd: options.cwd ?? appDir})
    assert.equal(result.exitCode, exitCode, `exit code of kvcloud ${args.join(' ')}; stderr: ${result.stderr}`)
    assert.equal(result.stdout, '', 'nothing on stdout')
    assert.match(result.stderr, stderr)
    assert.doesNotMatch(result.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace')
    return result
  }

  describe('deploy', () => {
    it('unanswered labels: lists them and prints a command that works when copied', async () => {
      const runtimeConfigBefore = readFileSync(join(appDir, 'runtime-config.toml'), 'utf8')
      const result = await refuses(
        ['deploy', '--link', 'kv:sessions=case-b'],
        2,
        /^Error: App "shop" has a label with no key value store linked: promptstore\. Nothing was changed: which store each uses needs an answer, and there is no terminal to ask on\.$/m,
      )
      assert.equal(readFileSync(join(appDir, 'runtime-config.toml'), 'utf8'), runtimeConfigBefore)
      const line = /^ {2}(kvcloud deploy .*)$/m.exec(result.stderr)?.[1]
      assert.equal(line, 'kvcloud deploy --link kv:sessions=case-b --link kv:promptstore=shop-promptstore')

      // Copy, paste, run: the suggested command deploys.
      const pasted = await new Promise<{code: number | null; stdout: string}>((resolve, reject) => {
        const child = spawn('sh', ['-c', `kvcloud() { "${process.execPath}" "${binPath}" "$@"; }; ${line}`], {
          cwd: appDir,
          env: {...process.env, KVCLOUD_HOME: home, NO_COLOR: '1'},
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let stdout = ''
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
        child.on('error', reject)
        child.on('close', (code) => resolve({code, stdout}))
      })
      assert.equal(pasted.code, 0)
      assert.match(pasted.stdout, /│ promptstore │ shop-promptstore │ created +│/)
      assert.match(pasted.stdout, /│ sessions +│ case-b +│ linked +│/)
      // Back to the links of the baseline for the other cases (the app keeps its new revision).
      await withBackend(home, async (backend) => {
        await backend.unlinkStore('shop', 'promptstore')
        await backend.unlinkStore('shop', 'sessions')
        await backend.deleteStore('shop-promptstore')
      })
      baseline = await snapshot(home)
    })

    it('no manifest: names the path and -f/--from', async () => {
      const empty = join(home, 'empty')
      mkdirSync(empty)
      await refuses(['deploy', '--yes'], 3, /^Error: No Spin manifest found at .*\/empty\/spin\.toml\.\n.*-f\/--from/m, {cwd: empty})
      await refuses(['deploy', '--yes', '-f', 'nowhere/spin.toml'], 3, /^Error: No Spin manifest found at .*\/nowhere\/spin\.toml\./m)
    })

    it('malformed TOML: names the file and the line', async () => {
      const file = join(home, 'broken.toml')
      writeFileSync(file, 'spin_manifest_version = 2\ntrigger = {}\n[application]\nname = "shop\n')
      await refuses(['deploy', '-f', file], 2, new RegExp(`^Error: Invalid Spin manifest ${file}, line 4: not valid TOML`, 'm'))
    })

    it('unknown manifest version, bad label, missing name: one message each', async () => {
      const file = join(home, 'bad.toml')
      writeFileSync(file, 'spin_manifest_version = 3\n[application]\nname = "shop"\n')
      await refuses(['deploy', '-f', file], 2, /line 1: unknown manifest version spin_manifest_version = 3\./)
      writeFileSync(file, 'spin_manifest_version = 2\ntrigger = {}\n[application]\nname = "shop"\n[component.web]\nkey_value_stores = ["my-store_x"]\n')
      await refuses(['deploy', '-f', file, '--yes'], 2, /line 6: invalid label "my-store_x" in key_value_stores of component "web"/)
      writeFileSync(file, 'spin_manifest_version = 2\ntrigger = {}\n[application]\nversion = "1"\n')
      await refuses(['deploy', '-f', file, '--yes'], 2, /the app has no name/)
    })

    it('--link of the wrong form, twice for a label, for an undeclared label, or to a bad store name', async () => {
      await refuses(['deploy', '--link', 'promptstore=case-a'], 2, /^Error: Links must be of the form 'sqlite:label=database' or 'kv:label=store' \(got "promptstore=case-a"\)\.$/m)
      await refuses(['deploy', '--link', 'kv:promptstore=case-a', '--link', 'kv:promptstore=case-b'], 2, /^Error: Label promptstore is linked more than once$/m)
      await refuses(['deploy', '--link', 'kv:nothere=case-a', '--yes'], 2, /--link kv:nothere=case-a names the label "nothere", which no component in .*spin\.toml declares as a key value store\.\nIts key value store labels are: cache, promptstore, sessions\./)
      await refuses(['deploy', '--link', 'kv:promptstore=-x', '--yes'], 2, /Invalid key value store name "-x"\. A store name is 1 to 64 characters/)
    })

    it('sqlite links: says plainly that deploy does not link SQLite databases yet', async () => {
      await refuses(['deploy', '--link', 'sqlite:audit=db', '--yes'], 2, /kvcloud does not link SQLite databases yet, so it cannot apply --link sqlite:audit=db\./)
    })

    it('--key-value without a "default" label names the rule', async () => {
      await refuses(['deploy', '--yes', '--key-value', 'a=1'], 2, /--key-value writes to the key value store linked with the label "default", and no component in .* declares that label \(its labels: cache, promptstore, sessions\)\./)
      await refuses(['deploy', '--yes', '--key-value', 'novalue'], 2, /--key-value takes KEY=VALUE \(got "novalue"\)\./)
    })

    it('a broken runtime config file: refused before any change, and left as it was', async () => {
      const file = join(home, 'rc-broken.toml')
      writeFileSync(file, '[key_value_store.x\n')
      await refuses(['deploy', '--yes', '--runtime-config', file], 2, new RegExp(`Invalid runtime config ${file}, line 1: not valid TOML`))
      assert.equal(readFileSync(file, 'utf8'), '[key_value_store.x\n')
    })
  })

  describe('link, unlink and apps', () => {
    it('link: a missing app, a missing store, an undeclared label', async () => {
      await refuses(['link', 'kv', 'cache', '-a', 'nope', '-s', 'case-a'], 3, /^Error: Could not find app 'nope'$/m)
      await refuses(['link', 'kv', 'cache', '-a', 'shop', '-s', 'nope'], 3, /^Error: Key value store "nope" does not exist$/m)
      await refuses(
        ['link', 'kv', 'other', '-a', 'shop', '-s', 'case-a'],
        2,
        /^Error: App "shop" does not use the label "other": no component declares it in key_value_stores \(its labels: cache, promptstore, sessions\)\.\nCheck the spelling, or pass --allow-undeclared to link it anyway\.$/m,
      )
      await refuses(['link', 'kv', 'Bad_label-x', '-a', 'shop', '-s', 'case-a'], 2, /Invalid label "Bad_label-x"/)
    })

    it('link: a relink without --yes and without a terminal names --yes', async () => {
      await refuses(['link', 'kv', 'cache', '-a', 'shop', '-s', 'case-b'], 2, /currently linked to "case-a"\. Relinking it .* needs confirmation.*\n.*--yes/)
    })

    it('link: missing --app or --store is a usage error', async () => {
      const result = await runCli(['link', 'kv', 'cache', '-s', 'case-a'], {home})
      assert.equal(result.exitCode, 2)
      assert.match(result.stderr, /Missing required flag app/)
    })

    it('unlink: a label that is not linked, with the right noun', async () => {
      const result = await refuses(['unlink', 'kv', 'promptstore', '-a', 'shop'], 3, /^Error: No key value store found with label "promptstore" for app "shop"\nIts linked labels are: cache\.$/m)
      assert.doesNotMatch(result.stderr, /database/)
      await refuses(['unlink', 'kv', 'cache', '-a', 'nope'], 3, /Could not find app 'nope'/)
    })

    it('apps: delete without --yes and without a terminal, and missing apps', async () => {
      await refuses(['apps', 'delete', 'shop'], 2, /Deleting app "shop" needs confirmation, and there is no terminal to ask on\. Nothing was deleted\.\nTo delete it from a script, run: kvcloud apps delete shop --yes/)
      await refuses(['apps', 'delete', 'nope', '--yes'], 3, /Could not find app 'nope'/)
      await refuses(['apps', 'info', 'nope'], 3, /Could not find app 'nope'/)
    })

    it('--json failures print the error as JSON on stdout, with the same exit code', async () => {
      const result = await runCli(['deploy', '--json'], {home, cwd: appDir})
      assert.equal(result.exitCode, 2)
      const body = JSON.parse(result.stdout) as {error: {kind: string; message: string; hints: string[]}}
      assert.equal(body.error.kind, 'invalid')
      assert.match(body.error.message, /with no key value store linked: promptstore, sessions\./)
      assert.ok(body.error.hints.some((hint) => hint.includes('kvcloud deploy --link kv:promptstore=shop-promptstore --link kv:sessions=shop-sessions')))
      assert.equal(existsSync(join(appDir, 'runtime-config.toml')), true)
    })
  })
})
