import assert from 'node:assert/strict'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {createProxy} from 'proxy'
import {proxyFromEnv} from '../../../src/lib/http/proxy.js'
import {runCli} from '../../helpers/cli.js'
import {useServerAndUser} from '../../helpers/server-process.js'

// Issue 12: behind a proxy. A real forward proxy on loopback (TooTallNate's `proxy`, what Squid
// does for CONNECT and plain requests), a real kvcloud server, the real binary. The proxy records
// every tunnel and request it is asked for, which proves what went through it.

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** A loopback port nothing listens on (taken, then let go). */
async function closedPort(): Promise<number> {
  const server = createServer()
  const port = await listen(server)
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('behind a proxy: HTTP_PROXY, HTTPS_PROXY and NO_PROXY', function () {
  this.timeout(60_000)
  const remote = useServerAndUser('kvcloud-proxy')
  let proxy: Server
  let proxyUrl: string
  const seen: string[] = []

  before(async function () {
    proxy = createProxy(createServer())
    proxy.on('connect', (request: {url: string}) => seen.push(`CONNECT ${request.url}`))
    proxy.on('request', (request: {method: string; url: string}) => seen.push(`${request.method} ${request.url}`))
    proxyUrl = `http://127.0.0.1:${await listen(proxy)}`
  })

  beforeEach(() => {
    seen.length = 0
  })

  after(async function () {
    proxy?.closeAllConnections()
    await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)))
  })

  const kv = (args: string[], env: NodeJS.ProcessEnv, input?: string) => runCli(args, {home: remote().userHome, env, input})
  const serverHost = () => new URL(remote().server.url).host

  it('logs in, writes, imports and reads through the proxy named by HTTP_PROXY: the proxy saw each process connect', async function () {
    const env = {HTTP_PROXY: proxyUrl}
    const {server, token} = remote()
    const login = await kv(['login', '--url', server.url, '--token', token], env)
    assert.equal(login.exitCode, 0, login.stderr)
    assert.deepEqual(seen, [`CONNECT ${serverHost()}`])
    assert.equal((await kv(['kv', 'create', 'via-proxy'], env)).exitCode, 0)
    const imported = await kv(['kv', 'import', '-s', 'via-proxy', '-'], env, '[{"key":"a","value":"1"},{"key":"b","value":"2"}]')
    assert.equal(imported.exitCode, 0, imported.stderr)
    const get = await kv(['kv', 'get', '-s', 'via-proxy', 'b'], env)
    assert.deepEqual([get.exitCode, get.stdout], [0, '2'], get.stderr)
    // One tunnel per process (a keep-alive connection), each to the server.
    assert.deepEqual(seen, Array.from({length: 4}, () => `CONNECT ${serverHost()}`))
  })

  it('reads the lowercase names too, and reaches the server directly when NO_PROXY lists it', async function () {
    const viaLower = await kv(['kv', 'get', '-s', 'via-proxy', 'a'], {http_proxy: proxyUrl})
    assert.deepEqual([viaLower.exitCode, viaLower.stdout], [0, '1'], viaLower.stderr)
    assert.equal(seen.length, 1)
    for (const env of [{HTTP_PROXY: proxyUrl, NO_PROXY: '127.0.0.1'}, {http_proxy: proxyUrl, no_proxy: `example.com, ${serverHost()}`}]) {
      const direct = await kv(['kv', 'get', '-s', 'via-proxy', 'a'], env)
      assert.deepEqual([direct.exitCode, direct.stdout], [0, '1'], direct.stderr)
    }
    assert.equal(seen.length, 1, `the proxy saw ${seen.join(', ')}`)
    // undici matches NO_PROXY by name: "localhost" does not cover 127.0.0.1 (the README says so).
    await kv(['kv', 'get', '-s', 'via-proxy', 'a'], {HTTP_PROXY: proxyUrl, NO_PROXY: 'localhost'})
    assert.equal(seen.length, 2)
  })

  it('uses HTTPS_PROXY for https:// servers only: an http:// server is reached directly, whatever HTTPS_PROXY holds', async function () {
    for (const HTTPS_PROXY of [proxyUrl, 'socks5://127.0.0.1:1080']) {
      const get = await kv(['kv', 'get', '-s', 'via-proxy', 'a'], {HTTPS_PROXY})
      assert.deepEqual([get.exitCode, get.stdout], [0, '1'], get.stderr)
    }
    assert.deepEqual(seen, [])
  })

  it('fails with exit 1 and names the proxy and its variable when the proxy cannot be reached', async function () {
    const deadProxy = `http://127.0.0.1:${await closedPort()}`
    const get = await kv(['kv', 'get', '-s', 'via-proxy', 'a'], {HTTP_PROXY: deadProxy})
    assert.equal(get.exitCode, 1)
    assert.equal(get.stdout, '')
    assert.match(get.stderr, new RegExp(`Cannot reach the kvcloud server at ${remote().server.url} through the proxy ${deadProxy} \\(from HTTP_PROXY\\): the proxy refused the connection\\.`))
    assert.match(get.stderr, /Check HTTP_PROXY, or list the server's host in NO_PROXY \(e\.g\. NO_PROXY=127\.0\.0\.1\) to reach it directly\./)
    assert.doesNotMatch(get.stderr, /\n\s+at /)
  })

  it('says so when the proxy is up but cannot reach the server', async function () {
    const downServer = `http://127.0.0.1:${await closedPort()}`
    const get = await kv(['kv', 'get', '-s', 'via-proxy', 'a'], {HTTP_PROXY: proxyUrl, KVCLOUD_URL: downServer, KVCLOUD_TOKEN: remote().token})
    assert.equal(get.exitCode, 1)
    assert.match(get.stderr, new RegExp(`Cannot reach the kvcloud server at ${downServer} through the proxy ${proxyUrl} \\(from HTTP_PROXY\\): the proxy answered 5\\d\\d when asked to connect to the server`))
    assert.ok(seen.includes(`CONNECT ${new URL(downServer).host}`), seen.join(', '))
  })

  it('refuses a proxy setting that is not an http(s) proxy URL with exit 2, never showing its password', async function () {
    const bad = await kv(['kv', 'get', '-s', 'via-proxy', 'a'], {HTTP_PROXY: 'http://user:s3cret@[not-a-host'})
    assert.equal(bad.exitCode, 2)
    assert.match(bad.stderr, /HTTP_PROXY is "http:\/\/user:\*\*\*@\[not-a-host", which is not a proxy URL\./)
    assert.match(bad.stderr, /Set HTTP_PROXY to the proxy's address, e\.g\. HTTP_PROXY=http:\/\/proxy\.example\.com:3128/)
    const socks = await kv(['kv', 'get', '-s', 'via-proxy', 'a'], {http_proxy: 'socks5://user:s3cret@127.0.0.1:1080'})
    assert.equal(socks.exitCode, 2)
    assert.match(socks.stderr, /http_proxy is "socks5:\/\/user:\*\*\*@127\.0\.0\.1:1080": kvcloud reaches a proxy over http:\/\/ or https:\/\/ only\./)
    // A password holding "/" or "@" that the URL parser cannot place, and one whose %-escapes are broken.
    const slash = await kv(['kv', 'get', '-s', 'via-proxy', 'a'], {HTTP_PROXY: 'http://user:s3cret/x@y@127.0.0.1:9'})
    assert.equal(slash.exitCode, 2)
    assert.match(slash.stderr, /HTTP_PROXY is "http:\/\/user:\*\*\*@127\.0\.0\.1:9", which is not a proxy URL\./)
    const escapes = await kv(['kv', 'get', '-s', 'via-proxy', 'a'], {HTTP_PROXY: 'http://user:s3cret%zz@127.0.0.1:9'})
    assert.equal(escapes.exitCode, 2)
    assert.match(escapes.stderr, /HTTP_PROXY is "http:\/\/user:\*\*\*@127\.0\.0\.1:9", whose user name or password is not valid percent-encoding\./)
    for (const result of [bad, socks, slash, escapes]) {
      assert.equal(result.stderr.includes('s3cret'), false)
      assert.doesNotMatch(result.stderr, /\n\s+at /)
    }
    // A host and port alone means an http:// proxy, as curl reads it.
    const bare = await kv(['kv', 'get', '-s', 'via-proxy', 'a'], {HTTP_PROXY: new URL(proxyUrl).host})
    assert.deepEqual([bare.exitCode, bare.stdout], [0, '1'], bare.stderr)
    assert.equal(seen.length, 1)
  })

  it('leaves the local backend alone: a bad proxy setting does not stop --local', async function () {
    const local = await kv(['kv', 'list', '--local'], {HTTP_PROXY: 'http://[bad'})
    assert.equal(local.exitCode, 0, local.stderr)
  })
})

describe('proxy settings as read from the environment', function () {
  it('takes the lowercase name first, HTTPS_PROXY for https:// only (else HTTP_PROXY), and a bare host:port as http://', function () {
    const env = {HTTP_PROXY: 'http://upper:1', http_proxy: 'lower:2', HTTPS_PROXY: 'https://secure:3'}
    assert.equal(proxyFromEnv(env, 'http:')?.proxy.url.href, 'http://lower:2/')
    assert.equal(proxyFromEnv(env, 'http:')?.proxy.variable, 'http_proxy')
    assert.equal(proxyFromEnv(env, 'https:')?.proxy.url.href, 'https://secure:3/')
    assert.equal(proxyFromEnv({HTTP_PROXY: 'http://plain:4'}, 'https:')?.proxy.variable, 'HTTP_PROXY')
    assert.equal(proxyFromEnv({HTTPS_PROXY: 'http://secure:3', NO_PROXY: '*'}, 'http:'), undefined)
    assert.equal(proxyFromEnv({HTTP_PROXY: '  '}, 'http:'), undefined)
  })

  it('puts bare IPv6 addresses of NO_PROXY in brackets, as undici compares them', function () {
    assert.equal(proxyFromEnv({HTTP_PROXY: 'p:1', NO_PROXY: 'localhost, 127.0.0.1 ::1,[::1]:8080,.corp.example'}, 'http:')?.noProxy,
      'localhost,127.0.0.1,[::1],[::1]:8080,.corp.example')
  })
})
