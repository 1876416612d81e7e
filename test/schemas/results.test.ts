import assert from 'node:assert/strict'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {runCli, tempHome, type CliOptions} from '../helpers/cli.js'
import {startServerProcess} from '../helpers/server-process.js'
import {assertMatchesSchema, schemaFiles} from './schemas.js'

// Each command run with --json by the real binary (its fast paths included) against a temp
// KVCLOUD_HOME, or a real server for the remote and server commands; its stdout must match the
// committed schema, so a changed shape fails here until the schema says so too.

const MANIFEST = `spin_manifest_version = 2

[application]
name = "shop"
version = "0.1.0"
description = "a shop"

[[trigger.http]]
route = "/..."
component = "web"

[component.web]
source = "web.wasm"
key_value_stores = ["default", "cache"]
sqlite_databases = ["audit"]
`

describe('--json results match their committed schemas (real binary)', function () {
  this.timeout(120_000)
  let home: string
  let cleanup: () => void
  let appDir: string
  const validated = new Set<string>()

  before(() => {
    ;({home, cleanup} = tempHome('kvcloud-schemas-'))
    appDir = join(home, 'shop')
    mkdirSync(appDir)
    writeFileSync(join(appDir, 'spin.toml'), MANIFEST)
  })
  after(() => cleanup())

  /** Runs `kvcloud ARGS --json`, insists on the exit code, and checks stdout against schemas/FILE. */
  async function json<T = Record<string, unknown>>(file: string, args: string[], options: Partial<CliOptions> & {exitCode?: number} = {}): Promise<T> {
    const {exitCode = 0, ...cliOptions} = options
    const result = await runCli([...args, '--json'], {home, cwd: appDir, ...cliOptions})
    const what = `kvcloud ${args.join(' ')} --json`
    assert.equal(result.exitCode, exitCode, `${what} exited ${result.exitCode}; stdout: ${result.stdout}; stderr: ${result.stderr}`)
    validated.add(file)
    return assertMatchesSchema(file, result.stdout, what) as T
  }

  it('kv create, list, set, get, keys, unset, export, import, rename', async () => {
    await json('kv-create.json', ['kv', 'create', 'case-a'])
    await json('kv-create.json', ['kv', 'create', 'case-b'])
    await json('kv-set.json', ['kv', 'set', '-s', 'case-a', 'greeting=hello', 'other=x'])
    await json('kv-set.json', ['kv', 'set', '-s', 'case-a', '--counter', 'visits=42'])
    writeFileSync(join(home, 'bytes.bin'), Buffer.from([0xff, 0x00, 0x01]))
    await json('kv-set.json', ['kv', 'set', '-s', 'case-a', 'raw', '--file', join(home, 'bytes.bin')])
    // kv get answers through its fast path as shipped, and through oclif when that is off.
    for (const env of [{}, {KVCLOUD_NO_FAST_PATH: '1'}]) {
      assert.deepEqual(await json('kv-get.json', ['kv', 'get', '-s', 'case-a', 'greeting'], {env}), {key: 'greeting', value: 'hello'})
      assert.deepEqual(await json('kv-get.json', ['kv', 'get', '-s', 'case-a', 'raw'], {env}), {key: 'raw', value: '/wAB', base64: true})
      assert.deepEqual(await json('kv-get.json', ['kv', 'get', '-s', 'case-a', '--counter', 'visits'], {env}), {key: 'visits', counter: 42})
    }
    assert.deepEqual(await json('kv-keys.json', ['kv', 'keys', '-s', 'case-a']), {keys: ['greeting', 'other', 'raw', 'visits']})
    const page = await json<{keys: string[]; next?: string}>('kv-keys.json', ['kv', 'keys', '-s', 'case-a', '--limit', '1'])
    assert.equal(typeof page.next, 'string')
    assert.deepEqual(await json('kv-unset.json', ['kv', 'unset', '-s', 'case-a', 'other', 'nothere']), {keys: ['other', 'nothere'], deleted: 1})
    const file = join(home, 'export.ndjson')
    assert.deepEqual(await json('kv-export.json', ['kv', 'export', '-s', 'case-a', '--format', 'ndjson', '-o', file]), {count: 3, format: 'ndjson', file})
    assert.deepEqual(await json('kv-import.json', ['kv', 'import', '-s', 'case-b', file]), {count: 3})
    assert.deepEqual(await json('kv-rename.json', ['kv', 'rename', 'case-b', 'case-c']), {name: 'case-c', previousName: 'case-b'})
    await json('kv-list.json', ['kv', 'list'])
  })

  it('deploy (and --dry-run), link, unlink, apps list, info and delete, kv delete', async () => {
    for (const env of [{}, {KVCLOUD_NO_FAST_PATH: '1'}]) {
      await json('deploy.json', ['deploy', '--dry-run'], {env})
    }
    const report = await json('deploy.json', ['deploy', '--link', 'kv:default=case-a', '--link', 'kv:cache=case-c', '--key-value', 'seeded=yes'])
    assert.equal(report.seeded, 1)
    await json('deploy.json', ['deploy', '--yes'], {env: {KVCLOUD_NO_FAST_PATH: '1'}})
    const relinked = await json('link-key-value.json', ['link', 'kv', 'cache', '-a', 'shop', '-s', 'case-a', '--yes'])
    assert.equal(relinked.previousStore, 'case-c')
    await json('link-key-value.json', ['link', 'kv', 'cache', '-a', 'shop', '-s', 'case-a'])
    await json('unlink-key-value.json', ['unlink', 'kv', 'cache', '-a', 'shop'])
    const listed = await json<unknown[]>('kv-list.json', ['kv', 'list'])
    assert.equal(listed.length, 2)
    assert.equal((await json<unknown[]>('apps-list.json', ['apps', 'list'])).length, 1)
    await json('apps-info.json', ['apps', 'info', 'shop'])
    await json('apps-delete.json', ['apps', 'delete', 'shop', '--yes'])
    await json('apps-list.json', ['apps', 'list'])
    await json('kv-delete.json', ['kv', 'delete', 'case-c', '--yes'])
  })

  it('config get (all and one), config set, status, logout without a login', async () => {
    await json('config-get.json', ['config', 'get'])
    await json('config-get.json', ['config', 'get', 'max-key-bytes'])
    await json('config-set.json', ['config', 'set', 'max-key-bytes', '512'])
    await json('config-get.json', ['config', 'get'])
    assert.equal((await json('status.json', ['status'])).kind, 'local')
    assert.deepEqual(await json('logout.json', ['logout']), {loggedOut: false})
  })

  it('failures: the error object, with the exit code it names', async () => {
    const cases: Array<{args: string[]; exitCode: number; kind: string; env?: NodeJS.ProcessEnv}> = [
      {args: ['kv', 'get', '-s', 'nope', 'key'], exitCode: 3, kind: 'not-found'},
      {args: ['kv', 'get', '-s', 'nope', 'key'], exitCode: 3, kind: 'not-found', env: {KVCLOUD_NO_FAST_PATH: '1'}},
      {args: ['kv', 'create', 'case-a'], exitCode: 4, kind: 'conflict'},
      {args: ['kv', 'create', '-bad'], exitCode: 2, kind: 'usage'},
      {args: ['kv', 'create', 'x/y'], exitCode: 2, kind: 'invalid'},
      {args: ['deploy'], exitCode: 2, kind: 'invalid'},
      // Parse errors and a mistyped command (the command_not_found hook) print the same object.
      {args: ['kv', 'get'], exitCode: 2, kind: 'usage'},
      {args: ['kv', 'list', '--bogus'], exitCode: 2, kind: 'usage'},
      {args: ['kv', 'lst'], exitCode: 2, kind: 'usage'},
    ]
    for (const {args, exitCode, kind, env} of cases) {
      const body = await json<{error: {kind: string; exitCode: number}}>('error.json', args, {exitCode, env})
      assert.equal(body.error.kind, kind, args.join(' '))
      assert.equal(body.error.exitCode, exitCode, args.join(' '))
    }
  })

  it('server start, server token create, list and revoke, login, status and kv on the server, logout', async () => {
    const dataDir = join(home, 'server-data')
    const created = await json<{id: string; token: string}>('server-token-create.json', ['server', 'token', 'create', '--account', 'team', '--data', dataDir])
    const spare = await json<{id: string}>('server-token-create.json', ['server', 'token', 'create', '--account', 'team', '--data', dataDir])
    assert.equal((await json('server-token-revoke.json', ['server', 'token', 'revoke', spare.id, '--data', dataDir])).alreadyRevoked, false)
    assert.equal((await json('server-token-revoke.json', ['server', 'token', 'revoke', spare.id, '--data', dataDir])).alreadyRevoked, true)
    assert.equal((await json<unknown[]>('server-token-list.json', ['server', 'token', 'list', '--data', dataDir])).length, 2)

    const server = await startServerProcess(['--port', '0', '--data', dataDir, '--log-level', 'warn', '--json'], {home})
    let stopped = false
    try {
      assert.deepEqual(await json('login.json', ['login', '--url', server.url, '--token', created.token]), {url: server.url, account: 'team'})
      assert.equal((await json('status.json', ['status'])).server, 'reachable')
      await json('kv-create.json', ['kv', 'create', 'remote-store'])
      await json('kv-list.json', ['kv', 'list'])
      const {exitCode, stdout, stderr} = await server.stop('SIGTERM')
      stopped = true
      assert.equal(exitCode, 0, stderr)
      validated.add('server-start.json')
      assert.equal((assertMatchesSchema('server-start.json', stdout, 'kvcloud server start --json') as {stoppedBy: string}).stoppedBy, 'SIGTERM')
      // The saved login stays; status says the server cannot be reached, and exits 0.
      assert.equal((await json('status.json', ['status'])).server, 'unreachable')
      assert.deepEqual(await json('logout.json', ['logout']), {loggedOut: true, url: server.url, account: 'team'})
    } finally {
      if (!stopped) await server.stop('SIGKILL')
    }
  })

  it('checked every committed schema against a real output', () => {
    assert.deepEqual(schemaFiles().filter((file) => !validated.has(file)), [])
  })
})
