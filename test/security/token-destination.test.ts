import assert from 'node:assert/strict'
import {createServer, type IncomingMessage, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {runCli, tempHome} from '../helpers/cli.js'

/**
 * A stand-in for a kvcloud server that records the Authorization header of every request: enough
 * of kvcloud's API (whoami, the store list) for login and `kv list`.
 */
async function recordingServer(): Promise<{url: string; seen: string[]; close(): Promise<void>}> {
  const seen: string[] = []
  const server: Server = createServer((request: IncomingMessage, response) => {
    seen.push(`${request.method} ${request.url} ${request.headers.authorization ?? '(no token)'}`)
    response.setHeader('content-type', 'application/json')
    if (request.url === '/api/whoami') return response.end(JSON.stringify({account: 'team-a'}))
    if (request.url?.startsWith('/api/key-value-stores')) return response.end(JSON.stringify({keyValueStores: []}))
    response.statusCode = 404
    response.end(JSON.stringify({detail: 'not found'}))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((resolve) => server.close(() => resolve()))}
}

describe('a saved token goes only to the server it was saved for (real binary)', function () {
  this.timeout(60_000)
  const TOKEN = 'kvc_saved-token-for-server-a-0123456789'
  let saved: Awaited<ReturnType<typeof recordingServer>>
  let other: Awaited<ReturnType<typeof recordingServer>>
  let user: ReturnType<typeof tempHome>

  before(async () => {
    saved = await recordingServer()
    other = await recordingServer()
    user = tempHome('kvcloud-token-destination-')
    const login = await runCli(['login', '--url', saved.url, '--token', TOKEN], {home: user.home})
    assert.equal(login.exitCode, 0, login.stderr)
  })
  after(async () => {
    await saved.close()
    await other.close()
    user.cleanup()
  })
  beforeEach(() => {
    saved.seen.length = 0
    other.seen.length = 0
  })

  it('KVCLOUD_URL naming another server, without KVCLOUD_TOKEN: refused, naming KVCLOUD_TOKEN; nothing reaches that server', async () => {
    const result = await runCli(['kv', 'list'], {home: user.home, env: {KVCLOUD_URL: other.url}})
    assert.equal(result.exitCode, 2, result.stderr)
    assert.equal(result.stdout, '')
    assert.match(result.stderr, new RegExp(`^Error: KVCLOUD_URL is set to ${other.url}, but KVCLOUD_TOKEN is not set, and the saved login is for another server \\(${saved.url}\\); a saved token is only sent to the server it was saved for\\.$`, 'm'))
    assert.match(result.stderr, /Set KVCLOUD_TOKEN to a token of that server/)
    assert.deepEqual(other.seen, [])
    assert.deepEqual(saved.seen, [])
    assert.doesNotMatch(result.stderr, new RegExp(TOKEN))

    const json = await runCli(['kv', 'list', '--json'], {home: user.home, env: {KVCLOUD_URL: other.url}})
    assert.equal(json.exitCode, 2)
    assert.equal(JSON.parse(json.stdout).error.kind, 'invalid')
    assert.match(JSON.parse(json.stdout).error.message, /KVCLOUD_TOKEN/)
  })

  it('KVCLOUD_URL with its own KVCLOUD_TOKEN: that token goes there, the saved one nowhere', async () => {
    const result = await runCli(['kv', 'list', '--json'], {home: user.home, env: {KVCLOUD_URL: other.url, KVCLOUD_TOKEN: 'kvc_token-of-the-other-server'}})
    assert.equal(result.exitCode, 0, result.stderr)
    assert.deepEqual(other.seen.map((line) => line.split(' ').at(-1)), ['kvc_token-of-the-other-server'])
    assert.deepEqual(saved.seen, [])
  })

  it('KVCLOUD_URL naming the saved server (spelled with a trailing slash) uses the saved token', async () => {
    const result = await runCli(['kv', 'list', '--json'], {home: user.home, env: {KVCLOUD_URL: `${saved.url}/`}})
    assert.equal(result.exitCode, 0, result.stderr)
    assert.deepEqual(saved.seen.map((line) => line.split(' ').at(-1)), [TOKEN])
  })

  it('empty KVCLOUD_URL= and KVCLOUD_TOKEN= count as unset: the logged-in user stays on the server, never silently local', async () => {
    const result = await runCli(['kv', 'list', '--json'], {home: user.home, env: {KVCLOUD_URL: '', KVCLOUD_TOKEN: ''}})
    assert.equal(result.exitCode, 0, result.stderr)
    assert.deepEqual(saved.seen.map((line) => line.split(' ').at(-1)), [TOKEN])
    const status = JSON.parse((await runCli(['status', '--json'], {home: user.home, env: {KVCLOUD_URL: '', KVCLOUD_TOKEN: ''}})).stdout)
    assert.equal(status.kind, 'remote')
    assert.equal(status.url, saved.url)
  })

  it('KVCLOUD_TOKEN alone, with nothing saved: a clear error, not the local backend', async () => {
    const fresh = tempHome('kvcloud-token-only-')
    try {
      const result = await runCli(['kv', 'list'], {home: fresh.home, env: {KVCLOUD_TOKEN: 'kvc_lonely-token'}})
      assert.equal(result.exitCode, 2, result.stderr)
      assert.match(result.stderr, /^Error: KVCLOUD_TOKEN is set, but no server is: set KVCLOUD_URL too/m)
      assert.doesNotMatch(result.stderr, /kvc_lonely-token/)
    } finally {
      fresh.cleanup()
    }
  })
})

describe('--json parse errors: one small document, no oclif internals, no token (real binary)', function () {
  this.timeout(60_000)
  let user: ReturnType<typeof tempHome>
  before(() => (user = tempHome('kvcloud-json-usage-')))
  after(() => user.cleanup())

  const TOKEN = 'kvc_do-not-print-me-0123456789abcdef'
  const cases: Array<{args: string[]; message: RegExp}> = [
    {args: ['login', '--url', 'http://127.0.0.1:9', '--token', TOKEN, '--bogus', '--json'], message: /^Nonexistent flag: --bogus$/},
    {args: ['login', `--token=${TOKEN}`, '--url', 'http://127.0.0.1:9', 'stray', '--json'], message: /^Unexpected argument: stray$/},
    {args: ['kv', 'get', 'k', '--json'], message: /^Exactly one of the following must be provided: --label, --store$/},
    {args: ['kv', 'get', '--json', '-s', 'a'], message: /^Missing 1 required arg: key/},
    {args: ['kv', 'list', '--group-by', 'nope', '--json'], message: /Expected --group-by=nope to be one of: app, store/},
    {args: ['kv', 'set', '-s', 'a', '-s', 'b', 'k=v', '--json'], message: /--store=b cannot also be provided when using --store|can only be specified once/},
  ]
  for (const {args, message} of cases) {
    it(`kvcloud ${args.join(' ').replace(TOKEN, 'TOKEN')}`, async () => {
      const result = await runCli(args, {home: user.home, env: {KVCLOUD_TOKEN: undefined}})
      assert.equal(result.exitCode, 2, result.stdout + result.stderr)
      assert.ok(result.stdout.length < 1000, `stdout is ${result.stdout.length} bytes`)
      const document = JSON.parse(result.stdout) as {error: Record<string, unknown>}
      assert.deepEqual(Object.keys(document), ['error'])
      assert.deepEqual(Object.keys(document.error).sort(), ['exitCode', 'hints', 'kind', 'message'])
      assert.equal(document.error.kind, 'usage')
      assert.equal(document.error.exitCode, 2)
      assert.match(String(document.error.message), message)
      assert.ok(!(result.stdout + result.stderr).includes(TOKEN), 'the token was printed')
      assert.doesNotMatch(result.stdout, /pjson|"config"|"argv"/)
    })
  }
})
