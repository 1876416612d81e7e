import assert from 'node:assert/strict'
import {chmodSync, readFileSync, statSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import fc from 'fast-check'
import {KvError} from '../../src/lib/errors.js'
import {HttpBackend} from '../../src/lib/http/http-backend.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'
import {runCli, tempHome, type CliResult} from '../helpers/cli.js'
import {startServerProcess, type ServerProcess} from '../helpers/server-process.js'
import {startTestServer} from '../helpers/test-server.js'

describe('tokens stay secret: logs, messages, status, the config file', function () {
  this.timeout(90_000)
  let admin: ReturnType<typeof tempHome>
  let user: ReturnType<typeof tempHome>
  let dataDir: string
  let server: ServerProcess
  /** Every token this run has seen, good or bad, to look for afterwards. */
  const secrets: string[] = []
  /** Everything the client printed, except `server token create`'s stdout (the one place a token is shown). */
  const printed: Array<{args: string; out: string}> = []

  const record = (args: string[], result: CliResult) => {
    printed.push({args: args.join(' '), out: result.stdout + result.stderr})
    return result
  }
  const kv = async (args: string[], env?: NodeJS.ProcessEnv, home = user.home) => record(args, await runCli(args, {home, env}))
  const adminCli = async (args: string[]) => runCli([...args, '--data', dataDir], {home: admin.home})

  before(async function () {
    admin = tempHome('kvcloud-secrets-admin-')
    user = tempHome('kvcloud-secrets-user-')
    dataDir = join(admin.home, 'data')
    server = await startServerProcess(['--port', '0', '--data', dataDir, '--log-level', 'info'], {home: admin.home})
  })

  after(async function () {
    await server?.stop('SIGKILL')
    admin.cleanup()
    user.cleanup()
  })

  it('shows a created token once, on stdout, and nowhere in token listings', async function () {
    const created = await adminCli(['server', 'token', 'create', '--account', 'team'])
    assert.equal(created.exitCode, 0, created.stderr)
    const token = created.stdout.trim()
    assert.match(token, /^kvc_/)
    assert.equal(created.stderr.includes(token), false)
    secrets.push(token)
    const second = (await adminCli(['server', 'token', 'create', '--account', 'team', '--json'])).stdout
    secrets.push((JSON.parse(second) as {token: string}).token)
    for (const args of [['server', 'token', 'list'], ['server', 'token', 'list', '--json']]) {
      const listed = await adminCli(args)
      assert.equal(listed.exitCode, 0)
      for (const secret of secrets) assert.equal((listed.stdout + listed.stderr).includes(secret), false, args.join(' '))
    }
  })

  it('saves the token with kvcloud login in a file only its owner can read, even one that was readable before', async function () {
    // A config file that exists already, made readable by everyone.
    assert.equal((await kv(['config', 'set', 'max-key-bytes', '300'])).exitCode, 0)
    const configFile = join(user.home, 'config.json')
    chmodSync(configFile, 0o644)
    const login = await kv(['login', '--url', server.url, '--token', secrets[0]!])
    assert.equal(login.exitCode, 0, login.stderr)
    assert.equal(statSync(configFile).mode & 0o777, 0o600)
    assert.equal((JSON.parse(readFileSync(configFile, 'utf8')) as {login: {token: string}}).login.token, secrets[0])

    // A first login in a fresh home, with the token from the environment.
    const fresh = tempHome('kvcloud-secrets-fresh-')
    try {
      const envLogin = await kv(['login'], {KVCLOUD_URL: server.url, KVCLOUD_TOKEN: secrets[1]}, fresh.home)
      assert.equal(envLogin.exitCode, 0, envLogin.stderr)
      assert.equal(statSync(join(fresh.home, 'config.json')).mode & 0o777, 0o600)
    } finally {
      fresh.cleanup()
    }
  })

  it('never prints a token: not in kv output, status, --verbose errors, nor the errors of wrong and revoked tokens', async function () {
    const ok = (result: CliResult) => assert.equal(result.exitCode, 0, result.stderr)
    ok(await kv(['kv', 'create', 'vault']))
    ok(await kv(['kv', 'set', '-s', 'vault', 'k=v']))
    ok(await kv(['kv', 'get', '-s', 'vault', 'k']))
    ok(await kv(['kv', 'list', '--json']))
    ok(await kv(['status']))
    ok(await kv(['status', '--json']))
    ok(await kv(['status', '--verbose'], {DEBUG: 'kvcloud*'}))
    assert.equal((await kv(['kv', 'get', '-s', 'vault', 'missing', '--verbose'], {DEBUG: 'kvcloud*'})).exitCode, 3)

    const wrong = 'kvc_' + 'N0tAValidT0ken'.repeat(3)
    secrets.push(wrong)
    for (const args of [['kv', 'list'], ['kv', 'list', '--verbose'], ['status'], ['status', '--json']]) {
      const refused = await kv(args, {KVCLOUD_TOKEN: wrong, DEBUG: 'kvcloud*'})
      assert.equal(refused.exitCode, 5, `${args.join(' ')}: ${refused.stderr}`)
    }
    const wrongLogin = await kv(['login', '--url', server.url, '--token', wrong])
    assert.equal(wrongLogin.exitCode, 5)

    const list = JSON.parse((await adminCli(['server', 'token', 'list', '--json'])).stdout) as Array<{id: string}>
    assert.equal((await adminCli(['server', 'token', 'revoke', list[0]!.id])).exitCode, 0)
    const revoked = await kv(['kv', 'list', '--verbose'])
    assert.equal(revoked.exitCode, 5)
    assert.match(revoked.stderr, /revoked/)

    // Server down: the network error names the URL, not the token.
    const down = await kv(['kv', 'list', '--verbose'], {KVCLOUD_URL: 'http://127.0.0.1:1', KVCLOUD_TOKEN: secrets[1]})
    assert.equal(down.exitCode, 1)

    for (const {args, out} of printed) {
      for (const secret of secrets) assert.equal(out.includes(secret), false, `kvcloud ${args} printed a token:\n${out}`)
    }
    assert.ok(printed.length >= 15)
  })

  it("never writes a token, or the Authorization header, to the server's log", async function () {
    const {stdout, stderr} = await server.stop('SIGTERM')
    const log = stdout + stderr
    const lines = stdout.split('\n').filter(Boolean)
    assert.ok(lines.length >= 15, `${lines.length} log lines`)
    assert.ok(lines.some((line) => line.includes('"statusCode":401')), 'the refused requests were logged')
    for (const secret of secrets) assert.equal(log.includes(secret), false, 'a token in the server log')
    assert.doesNotMatch(log, /authorization|bearer/i)
  })
})

describe('HttpBackend errors never carry the token', function () {
  it('whatever the token, and whether the server refuses it or cannot be reached', async function () {
    const server = await startTestServer()
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const closedPort = (probe.address() as {port: number}).port
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const tokenArbitrary = fc.oneof(
      fc.string({unit: 'binary', minLength: 8, maxLength: 80}),
      fc.string({unit: 'grapheme-ascii', minLength: 8, maxLength: 80}).map((text) => 'kvc_' + text),
      fc.tuple(fc.string({minLength: 4, maxLength: 20}), fc.constantFrom('\n', '\r\n', ' ', '\t', '\u0000', 'é'), fc.string({minLength: 4, maxLength: 20}))
        .map(([a, b, c]) => `kvc_${a}${b}${c}`),
    ).filter((token) => token.trim().length >= 8)
    try {
      await fc.assert(
        fc.asyncProperty(tokenArbitrary, fc.boolean(), async (token, reachable) => {
          const url = reachable ? server.url : `http://127.0.0.1:${closedPort}`
          let error: unknown
          try {
            const backend = await HttpBackend.connect({url, token, limits: DEFAULT_LIMITS, retries: {maxRetries: 0}})
            try {
              await backend.listStores()
            } finally {
              await backend.close()
            }
          } catch (caught) {
            error = caught
          }
          assert.ok(error instanceof KvError, `a typed error, not ${String(error)}`)
          const text = [error.message, ...error.hints].join('\n')
          assert.equal(text.includes(token) || text.includes(token.trim()), false, text)
          assert.ok(error.message.includes(url), error.message)
          if (!/^[\x21-\x7e]+$/.test(token)) {
            assert.equal(error.kind, 'unauthorized')
            assert.match(error.message, /token .* is malformed/)
          }
        }),
        {numRuns: 120},
      )
      assert.equal(server.logText().includes('kvc_'), false)
    } finally {
      await server.close()
    }
  })
})
