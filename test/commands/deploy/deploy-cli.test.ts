import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {repoRoot, tempHome} from '../../helpers/cli.js'
import {cli, readAsSpin, snapshot, withBackend, writeApp} from '../../helpers/app-dir.js'

const fixtures = join(repoRoot, 'test', 'fixtures', 'manifests')

describe('deploy through the binary', function () {
  this.timeout(60_000)
  let home: string
  let cleanup: () => void
  beforeEach(() => {
    ;({home, cleanup} = tempHome())
  })
  afterEach(() => cleanup())

  it('--dry-run shows the plan, including what is unanswered, and changes nothing', async () => {
    await withBackend(home, async (backend) => void (await backend.createStore('case-a')))
    const appDir = join(home, 'app')
    writeApp(appDir, 'shop', ['cache', 'default'])
    const before = await snapshot(home)
    const human = await cli(['deploy', '--dry-run', '--link', 'kv:cache=case-a'], {home, cwd: appDir})
    assert.match(human.stdout, /^Dry run: app "shop" would be deployed as revision 1\. Nothing was changed\.$/m)
    assert.match(human.stdout, /│ cache +│ case-a +│ linked +│/)
    assert.match(human.stdout, /Not linked yet \(deploy asks on a terminal, or takes --link kv:LABEL=STORE or --yes\): default/)
    const json = JSON.parse((await cli(['deploy', '--dry-run', '--yes', '--json', '--key-value', 'k=v'], {home, cwd: appDir})).stdout)
    assert.deepEqual(json, {
      app: 'shop',
      manifest: join(appDir, 'spin.toml'),
      dryRun: true,
      revision: 1,
      labels: [
        {label: 'cache', store: 'shop-cache', action: 'created'},
        {label: 'default', store: 'shop-default', action: 'created'},
      ],
      unanswered: [],
      unused: [],
      sqliteLabels: [],
      seeded: 1,
    })
    assert.equal(await snapshot(home), before)
    assert.equal(existsSync(join(appDir, 'runtime-config.toml')), false)
  })

  it('--yes creates APP-LABEL stores, then reuses them; --key-value seeds the default store', async () => {
    const appDir = join(home, 'app')
    writeApp(appDir, 'shop', ['default', 'cache'])
    const first = await cli(['deploy', '--yes', '--key-value', 'greeting=hello=world', '--key-value', 'n=1'], {home, cwd: appDir})
    assert.match(first.stdout, /│ cache +│ shop-cache +│ created │/)
    assert.match(first.stdout, /│ default │ shop-default +│ created │/)
    assert.match(first.stdout, /Wrote 2 pairs into the key value store linked as "default"\./)
    assert.equal((await cli(['kv', 'get', '-s', 'shop-default', 'greeting'], {home})).stdout, 'hello=world')
    const runtimeConfig = join(appDir, 'runtime-config.toml')
    assert.equal(readAsSpin(runtimeConfig, 'default', 'greeting'), 'hello=world')

    // Remove the links but keep the stores: --yes reuses the APP-LABEL stores rather than inventing names.
    await cli(['unlink', 'kv', 'cache', '-a', 'shop'], {home})
    const second = JSON.parse((await cli(['deploy', '--yes', '--json'], {home, cwd: appDir})).stdout)
    assert.deepEqual(second.labels, [
      {label: 'cache', store: 'shop-cache', action: 'linked'},
      {label: 'default', store: 'shop-default', action: 'kept'},
    ])
    assert.equal(second.revision, 2)
    const stores = JSON.parse((await cli(['kv', 'list', '--json'], {home})).stdout) as Array<{key_value_store: string}>
    assert.deepEqual(stores.map((store) => store.key_value_store), ['shop-cache', 'shop-default'])
  })

  it('reads the v1 fixture with -f FILE and writes --runtime-config where asked', async () => {
    const runtimeConfig = join(home, 'rc', 'visit-counter.toml')
    const missingFolder = await cli(['deploy', '-f', join(fixtures, 'v1-legacy.toml'), '--yes', '--runtime-config', runtimeConfig], {home}, 3)
    assert.match(missingFolder.stderr, /^Error: The folder for --runtime-config .*rc\/visit-counter\.toml does not exist: .*\/rc\. Nothing was changed\.$/m)
    assert.equal((await cli(['apps', 'list', '--json'], {home})).stdout.trim(), '[]')
    mkdirSync(join(home, 'rc'))
    const result = await cli(['deploy', '-f', join(fixtures, 'v1-legacy.toml'), '--yes', '--runtime-config', runtimeConfig], {home})
    assert.match(result.stdout, /^App "visit-counter" deployed \(revision 1\)\.$/m)
    assert.match(result.stdout, /│ visits_by_day │ visit-counter-visits_by_day │ created │/)
    assert.match(result.stderr, /spin up -f .*v1-legacy\.toml --runtime-config-file rc\/visit-counter\.toml/)
    await withBackend(home, (backend) => backend.setValues({app: 'visit-counter', label: 'visits_by_day'}, [{key: 'monday', value: Buffer.from('3')}]))
    assert.equal(readAsSpin(runtimeConfig, 'visits_by_day', 'monday'), '3')
    const info = JSON.parse((await cli(['apps', 'info', 'visit-counter', '--json'], {home})).stdout)
    assert.equal(info.version, '1.0.0')
    assert.deepEqual(info.components.map((component: {id: string}) => component.id), ['counter', 'report'])
  })

  it('the v2 fixture: notes that sqlite databases are not linked yet; app info shows components and links', async () => {
    const result = await cli(['deploy', '-f', join(fixtures, 'v2-two-components.toml'), '--yes', '--runtime-config', join(home, 'rc.toml')], {home})
    assert.match(result.stderr, /Note: kvcloud does not link SQLite databases yet; the app's sqlite_databases labels \(audit\) are left alone\./)
    const info = await cli(['apps', 'info', 'feedback-triage'], {home})
    assert.match(info.stdout, /^Description: Scores customer feedback and caches the verdicts\.$/m)
    assert.match(info.stdout, /│ admin +│ default, verdicts +│ audit +│/)
    assert.match(info.stdout, /│ prompt_store │ feedback-triage-prompt_store │ linked │/)
    const list = await cli(['apps', 'list'], {home})
    assert.match(list.stdout, /│ feedback-triage │ 0\.3\.1 +│ 1 +│ default, prompt_store, verdicts │/)
  })

  it("keeps the user's own runtime config entries and comments", async () => {
    const appDir = join(home, 'app')
    writeApp(appDir, 'shop', ['cache', 'default'])
    const runtimeConfig = join(appDir, 'runtime-config.toml')
    const own = '# Redis for the cache in production-like runs\n[key_value_store.cache]\ntype = "redis"\nurl = "redis://localhost:6379"\n\n[sqlite_database.default]\ntype = "spin"\npath = "my.db"\n'
    writeFileSync(runtimeConfig, own)
    const result = await cli(['deploy', '--yes'], {home, cwd: appDir})
    assert.match(result.stderr, /Kept your \[key_value_store\.cache\] entry \(type "redis"\) in .*runtime-config\.toml; spin up uses it, not kvcloud's store\./)
    const text = readFileSync(runtimeConfig, 'utf8')
    assert.ok(text.startsWith(own), text)
    await withBackend(home, (backend) => backend.setValues({app: 'shop', label: 'default'}, [{key: 'x', value: Buffer.from('1')}]))
    assert.equal(readAsSpin(runtimeConfig, 'default', 'x'), '1')
  })

  it('an app with no key value store labels deploys, and gets no runtime config file', async () => {
    const appDir = join(home, 'static')
    writeApp(appDir, 'static-site', [])
    const result = await cli(['deploy'], {home, cwd: appDir})
    assert.equal(result.stdout, 'App "static-site" deployed (revision 1).\nThe app declares no key value store labels.\n')
    assert.equal(result.stderr, '')
    assert.equal(existsSync(join(appDir, 'runtime-config.toml')), false)
  })

  it('apps list says when there are no apps, on stderr', async () => {
    const result = await cli(['apps', 'list'], {home})
    assert.equal(result.stdout, '')
    assert.match(result.stderr, /^No apps found\. Deploy one with "kvcloud deploy"/)
    assert.equal((await cli(['apps', 'list', '--json'], {home})).stdout.trim(), '[]')
  })

  it('link --allow-undeclared links a label no component declares', async () => {
    const appDir = join(home, 'app')
    writeApp(appDir, 'shop', ['default'])
    await cli(['deploy', '--yes'], {home, cwd: appDir})
    await withBackend(home, async (backend) => void (await backend.createStore('later')))
    const result = await cli(['link', 'kv', 'coming-soon', '-a', 'shop', '-s', 'later', '--allow-undeclared', '--json'], {home})
    assert.deepEqual(JSON.parse(result.stdout), {
      status: 'linked',
      app: 'shop',
      kind: 'key-value',
      label: 'coming-soon',
      store: 'later',
      runtimeConfig: join(appDir, 'runtime-config.toml'),
    })
  })
})

describe('deploy: the fast path prints exactly what the command prints', function () {
  this.timeout(60_000)

  it('same stdout, stderr, exit code and files, with and without KVCLOUD_NO_FAST_PATH', async () => {
    const runs: Array<{stdout: string; stderr: string; runtimeConfig: string; stores: string}> = []
    for (const env of [{}, {KVCLOUD_NO_FAST_PATH: '1'}]) {
      const {home, cleanup} = tempHome()
      try {
        await withBackend(home, async (backend) => void (await backend.createStore('case-a')))
        const appDir = join(home, 'app')
        writeApp(appDir, 'shop', ['cache', 'default', 'old'], '[component.db]\nsource = "db.wasm"\nsqlite_databases = ["audit"]\n')
        await cli(['deploy', '--yes'], {home, cwd: appDir, env})
        writeApp(appDir, 'shop', ['cache', 'default', 'new'], '[component.db]\nsource = "db.wasm"\nsqlite_databases = ["audit"]\n')
        const result = await cli(['deploy', '--link', 'kv:cache=case-a', '--link', 'kv:new=fresh', '--key-value', 'a=1'], {home, cwd: appDir, env})
        const normalize = (text: string) => text.split(home).join('HOME')
        runs.push({
          stdout: normalize(result.stdout),
          stderr: normalize(result.stderr),
          runtimeConfig: normalize(readFileSync(join(appDir, 'runtime-config.toml'), 'utf8')).replace(/stores\/[^"]+/g, 'stores/FILE'),
          stores: (await cli(['kv', 'list', '--json'], {home})).stdout,
        })
      } finally {
        cleanup()
      }
    }
    assert.match(runs[0]!.stdout, /│ cache +│ case-a +│ relinked \(was "shop-cache"\) │/)
    assert.match(runs[0]!.stdout, /│ new +│ fresh +│ created +│/)
    assert.deepEqual(runs[0], runs[1])
  })
})
