import assert from 'node:assert/strict'
import {readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {Pair} from '../../src/lib/backend.js'
import {HttpBackend} from '../../src/lib/http/http-backend.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'
import {runCli, tempHome} from '../helpers/cli.js'
import {startServerProcess, type ServerProcess} from '../helpers/server-process.js'

const MANIFEST = `spin_manifest_version = 2
[application]
name = "shop"
version = "1.0.0"
[[trigger.http]]
route = "/..."
component = "web"
[component.web]
source = "web.wasm"
key_value_stores = ["default"]
`

describe('the real binary against a kvcloud server started by the real binary', function () {
  this.timeout(60_000)
  // The admin (server side) and the user (client side) have separate homes, as on two machines.
  let admin: ReturnType<typeof tempHome>
  let user: ReturnType<typeof tempHome>
  let dataDir: string
  let server: ServerProcess

  before(async function () {
    admin = tempHome('kvcloud-admin-')
    user = tempHome('kvcloud-user-')
    dataDir = join(admin.home, 'server-data')
    server = await startServerProcess(['--port', '0', '--data', dataDir], {home: admin.home})
  })

  after(async function () {
    await server?.stop('SIGKILL')
    admin.cleanup()
    user.cleanup()
  })

  const kv = (args: string[], env?: NodeJS.ProcessEnv) => runCli(args, {home: user.home, env, cwd: user.home})
  const adminCli = (args: string[]) => runCli([...args, '--data', dataDir], {home: admin.home})

  it('creates a token, logs in, and runs kv commands against the server, saying so on stderr', async function () {
    const created = await adminCli(['server', 'token', 'create', '--account', 'team-a'])
    assert.equal(created.exitCode, 0, created.stderr)
    const token = created.stdout.trim()
    assert.match(token, /^kvc_[A-Za-z0-9_-]{43}$/)
    assert.match(created.stderr, /Created token tok_[0-9a-f]{12} for the new account "team-a"\. Copy it now: it is not shown again\./)

    const login = await kv(['login', '--url', server.url, '--token', token])
    assert.equal(login.exitCode, 0, login.stderr)
    assert.equal(login.stdout, '')
    assert.equal(login.stderr, `Logged in to ${server.url} as account "team-a". Commands now use this server; pass --local for the stores on this machine.\n`)
    const configFile = join(user.home, 'config.json')
    assert.equal(statSync(configFile).mode & 0o777, 0o600)
    assert.equal(JSON.parse(readFileSync(configFile, 'utf8')).login.account, 'team-a')

    const create = await kv(['kv', 'create', 'shared'])
    assert.equal(create.exitCode, 0, create.stderr)
    assert.equal(create.stdout, 'Key value store "shared" created\n')
    assert.equal(create.stderr, `Using the kvcloud server at ${server.url}\n`)
    assert.equal((await kv(['kv', 'set', '-s', 'shared', 'a/b%c=odd key', 'greeting=hello'])).exitCode, 0)
    const get = await kv(['kv', 'get', '-s', 'shared', 'a/b%c'])
    assert.deepEqual([get.exitCode, get.stdout, get.stderr], [0, 'odd key', `Using the kvcloud server at ${server.url}\n`])
    const missing = await kv(['kv', 'get', '-s', 'shared', 'nope'])
    assert.equal(missing.exitCode, 3)
    assert.match(missing.stderr, /Error: Key "nope" not found in key value store "shared"/)

    const status = await kv(['status', '--json'])
    assert.equal(status.exitCode, 0, status.stderr)
    assert.deepEqual(
      (({kind, url, account}) => ({kind, url, account}))(JSON.parse(status.stdout) as {kind: string; url: string; account: string}),
      {kind: 'remote', url: server.url, account: 'team-a'},
    )
    assert.equal(status.stdout.includes(token), false)

    const local = await kv(['kv', 'list', '--local'])
    assert.deepEqual([local.exitCode, local.stdout, local.stderr], [0, '', 'No key value stores found\n'])
  })

  it('runs the A/B linking story through deploy, link and kv get by label', async function () {
    writeFileSync(join(user.home, 'spin.toml'), MANIFEST)
    for (const [store, value] of [['case-a', 'from A'], ['case-b', 'from B']]) {
      assert.equal((await kv(['kv', 'create', store!])).exitCode, 0)
      assert.equal((await kv(['kv', 'set', '-s', store!, `greeting=${value}`])).exitCode, 0)
    }
    const deploy = await kv(['deploy', '--link', 'kv:default=case-a'])
    assert.equal(deploy.exitCode, 0, deploy.stderr)
    assert.equal((await kv(['kv', 'get', '-l', 'default', '-a', 'shop', 'greeting'])).stdout, 'from A')
    const relink = await kv(['link', 'kv', 'default', '-a', 'shop', '-s', 'case-b', '--yes'])
    assert.equal(relink.exitCode, 0, relink.stderr)
    assert.match(relink.stdout, /Key value store "case-b" is now linked to app "shop" with the label "default"/)
    assert.equal((await kv(['kv', 'get', '-l', 'default', '-a', 'shop', 'greeting'])).stdout, 'from B')
  })

  it('refuses a wrong token at login (exit 5, nothing saved) and a revoked one afterwards (exit 5, "kvcloud login")', async function () {
    const before = readFileSync(join(user.home, 'config.json'), 'utf8')
    const wrong = await kv(['login', '--url', server.url, '--token', 'kvc_' + 'Z'.repeat(43)])
    assert.equal(wrong.exitCode, 5)
    assert.equal(wrong.stdout, '')
    assert.match(wrong.stderr, new RegExp(`^Error: The kvcloud server at ${server.url} refused the token`))
    assert.equal(readFileSync(join(user.home, 'config.json'), 'utf8'), before)

    const list = await adminCli(['server', 'token', 'list', '--json'])
    const tokens = JSON.parse(list.stdout) as Array<{id: string; account: string; revokedAt?: string}>
    assert.equal(list.stdout.includes('kvc_'), false)
    const revoked = await adminCli(['server', 'token', 'revoke', tokens[0]!.id])
    assert.equal(revoked.exitCode, 0, revoked.stderr)
    assert.equal(revoked.stdout, `Token ${tokens[0]!.id} of account "team-a" revoked\n`)

    const table = await adminCli(['server', 'token', 'list'])
    assert.equal(table.exitCode, 0)
    assert.match(table.stdout, new RegExp(`│ ${tokens[0]!.id} │ team-a +│ \\S+ +│ 20\\d\\d-`))
    assert.equal(table.stdout.includes('kvc_'), false)
    const unknown = await adminCli(['server', 'token', 'revoke', 'tok_000000000000'])
    assert.equal(unknown.exitCode, 3)
    assert.match(unknown.stderr, /^Error: No token found with id "tok_000000000000"\nRun "kvcloud server token list --data [^"]*server-data" to see/)

    const refused = await kv(['kv', 'list'])
    assert.equal(refused.exitCode, 5)
    assert.match(refused.stderr, /refused the token: The token is not valid: it is unknown or has been revoked\.\nRun "kvcloud login --url/)
    assert.equal(refused.stderr.includes('    at '), false)
  })

  it('logs out: commands use the local backend again', async function () {
    const logout = await kv(['logout'])
    assert.deepEqual([logout.exitCode, logout.stdout], [0, ''])
    assert.match(logout.stderr, new RegExp(`Logged out of ${server.url} \\(account "team-a"\\)`))
    const list = await kv(['kv', 'list'])
    assert.deepEqual([list.exitCode, list.stderr], [0, 'No key value stores found\n'])
    const again = await kv(['logout'])
    assert.equal(again.stderr, 'Not logged in to any server; nothing to forget.\n')
  })

  it('refuses a second server on a taken port with a clear message and exit 1', async function () {
    const port = new URL(server.url).port
    const clash = await runCli(['server', 'start', '--port', port, '--data', join(admin.home, 'other-data')], {home: admin.home})
    assert.equal(clash.exitCode, 1)
    assert.equal(clash.stderr, `Error: Port ${port} on 127.0.0.1 is already in use, so the kvcloud server cannot start.\nStop the program that uses it, or pick another port with --port N.\n`)
  })

  it('refuses a second server on a data folder in use, before listening, and the first one goes on serving', async function () {
    const clash = await runCli(['server', 'start', '--port', '0', '--data', dataDir], {home: admin.home})
    assert.equal(clash.exitCode, 1)
    assert.equal(
      clash.stderr,
      `Error: Another kvcloud server is already using the data folder ${dataDir}.\n` +
        'Stop that server first, or pass --data with another folder. Two servers cannot share one folder.\n',
    )
    // Token commands still share the folder with the running server, which still answers.
    const issued = await adminCli(['server', 'token', 'create', '--account', 'team-c'])
    assert.equal(issued.exitCode, 0, issued.stderr)
    const backend = await HttpBackend.connect({url: server.url, token: issued.stdout.trim(), limits: DEFAULT_LIMITS})
    try {
      await backend.createStore('after-the-clash')
      assert.deepEqual((await backend.listStores()).items.map((store) => store.name), ['after-the-clash'])
    } finally {
      await backend.close()
    }
  })

  it('finishes a request in flight on SIGTERM, exits 0, and keeps everything it acknowledged', async function () {
    const issued = await adminCli(['server', 'token', 'create', '--account', 'team-b'])
    const backend = await HttpBackend.connect({url: server.url, token: issued.stdout.trim(), limits: DEFAULT_LIMITS})
    await backend.createStore('during-stop')
    let signalled = false
    const stopped = {result: undefined as undefined | Promise<{exitCode: number | null; stdout: string; stderr: string}>}
    async function* slowBatches(): AsyncIterable<Pair[]> {
      for (let batch = 0; batch < 20; batch++) {
        yield Array.from({length: 1000}, (_, i) => ({key: `k-${batch}-${i}`, value: Buffer.from('v')}))
        if (batch === 2 && !signalled) {
          signalled = true
          stopped.result = server.stop('SIGTERM')
        }
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
    const imported = await backend.importPairs({store: 'during-stop'}, slowBatches())
    await backend.close()
    assert.deepEqual(imported, {count: 20_000})
    const {exitCode, stderr} = await stopped.result!
    assert.equal(exitCode, 0, stderr)
    assert.match(stderr, /Received SIGTERM: finishing requests in flight, then stopping\.\nkvcloud server stopped\.\n$/)

    // Unreachable now: a clear message and exit 1.
    const down = await runCli(['kv', 'list'], {home: user.home, env: {KVCLOUD_URL: server.url, KVCLOUD_TOKEN: issued.stdout.trim()}})
    assert.equal(down.exitCode, 1)
    assert.match(down.stderr, new RegExp(`Error: Cannot reach the kvcloud server at ${server.url}: the connection was refused\\.`))

    server = await startServerProcess(['--port', '0', '--data', dataDir], {home: admin.home})
    const again = await HttpBackend.connect({url: server.url, token: issued.stdout.trim(), limits: DEFAULT_LIMITS})
    try {
      let count = 0
      for await (const _pair of again.exportPairs({store: 'during-stop'})) count++
      assert.equal(count, 20_000)
    } finally {
      await again.close()
    }
  })

  it('notes on stderr when it listens beyond this machine', async function () {
    const open = await startServerProcess(['--host', '0.0.0.0', '--port', '0', '--data', join(admin.home, 'other-data')], {home: admin.home})
    const {exitCode, stderr} = await open.stop('SIGINT')
    assert.equal(exitCode, 0)
    assert.match(stderr, /Note: 0\.0\.0\.0 is reachable from other machines\. Tokens travel in clear text over plain HTTP; put a TLS proxy in front of the server\./)
  })
})
