import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readdirSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import type {FastifyInstance} from 'fastify'
import fc from 'fast-check'
import {Pool} from 'undici'
import {HttpBackend} from '../../src/lib/http/http-backend.js'
import {buildServer} from '../../src/lib/server/build-server.js'
import {AccountRegistry} from '../../src/lib/server/accounts.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'
import {request, type TestServer} from '../server/test-server.js'

const STORE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/

/** The only files a server's data folder may hold: names made of ids, never of anything a client sent. */
const ALLOWED = [
  /^server\.db(-wal|-shm|-journal)?$/,
  /^server\.lock$/,
  /^accounts$/,
  /^accounts\/\d+$/,
  /^accounts\/\d+\/catalog\.db(-wal|-shm|-journal)?$/,
  /^accounts\/\d+\/stores$/,
  /^accounts\/\d+\/stores\/[0-9a-f]{16}\.db(-wal|-shm|-journal)?$/,
]

function walk(root: string, dir = root): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    const rel = relative(root, path)
    return statSync(path).isDirectory() ? [rel, ...walk(root, path)] : [rel]
  })
}

const NASTY = ['..', '.', '/', '\\', '%2F', '%2e%2e', '~', '$HOME', '\u0000', '\n', ' ', 'CON', 'nul', 'é', '😀', '*', ':', 'etc', 'passwd', 'a', '-', '_']
const nameArbitrary = fc.oneof(
  fc.constantFrom('../x', '..', '.', '/etc/passwd', '..\\..\\x', 'a/../../b', '%2e%2e%2fx', 'x'.repeat(65), 'ok-name', 'Ok_2', '-lead', '_lead'),
  fc.array(fc.constantFrom(...NASTY), {minLength: 1, maxLength: 8}).map((parts) => parts.join('')),
  fc.string({unit: 'binary', minLength: 1, maxLength: 70}),
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,20}$/),
)

describe('names never reach the file system as paths (through the server)', function () {
  this.timeout(60_000)
  let parent: string
  let dataDir: string
  let app: FastifyInstance
  let http: Pool
  let server: TestServer
  let token: string

  before(async function () {
    // The data folder sits alone in a fresh parent, so anything written beside it shows up.
    parent = mkdtempSync(join(tmpdir(), 'kvcloud-paths-'))
    dataDir = join(parent, 'data')
    mkdirSync(dataDir)
    app = buildServer({dataDir, logger: false})
    const url = await app.listen({host: '127.0.0.1', port: 0})
    const registry = AccountRegistry.open(dataDir)
    token = registry.createToken('paths').token
    registry.close()
    http = new Pool(url)
    // request() needs only the client.
    server = {url, http} as TestServer
  })

  after(async function () {
    await http.close()
    await app.close()
    rmSync(parent, {recursive: true, force: true})
  })

  it('creates a store only under a valid name, answers 400 (never 5xx) to any other, and refuses "../x" by name', async function () {
    const refused = await request(server, 'POST', `/api/key-value-stores/${encodeURIComponent('../x')}`, {token, json: null})
    assert.equal(refused.status, 400)
    assert.match(refused.json<{detail: string}>().detail, /Invalid key value store name "\.\.\/x"/)
    let created = 0
    await fc.assert(
      fc.asyncProperty(nameArbitrary, async (name) => {
        let path: string
        try {
          path = `/api/key-value-stores/${encodeURIComponent(name)}`
        } catch {
          return // a lone surrogate cannot even be sent
        }
        const answer = await request(server, 'POST', path, {token, json: null})
        if (STORE_NAME.test(name)) {
          assert.ok(answer.status === 201 || answer.status === 409, `${JSON.stringify(name)}: ${answer.status} ${answer.text}`)
          if (answer.status === 201) created++
        } else {
          assert.equal(answer.status, 400, `${JSON.stringify(name)}: ${answer.status} ${answer.text}`)
        }
      }),
      {numRuns: 200},
    )
    assert.ok(created > 10, `${created} stores created`)
  })

  it('renames, links, deploys and writes keys under hostile names without any of them becoming a path', async function () {
    const backend = await HttpBackend.connect({url: server.url, token, limits: DEFAULT_LIMITS})
    try {
      await backend.createStore('victim')
      await fc.assert(
        fc.asyncProperty(nameArbitrary, nameArbitrary, nameArbitrary, async (name, app, key) => {
          await backend.renameStore('victim', name).then(() => backend.renameStore(name, 'victim'), () => undefined)
          await backend.deploy({app: {name: app, components: [{id: 'web', keyValueStores: ['default'], sqliteDatabases: []}]}, links: [{label: 'default', store: 'victim', create: false}]})
            .catch(() => undefined)
          await backend.linkStore({app, label: 'default', store: name}).catch(() => undefined)
          await backend.setValues({store: 'victim'}, [{key, value: Buffer.from(name)}]).catch(() => undefined)
        }),
        {numRuns: 100},
      )
      // Renaming onto a path is refused outright.
      await assert.rejects(backend.renameStore('victim', '../../outside'), /Invalid key value store name/)
    } finally {
      await backend.close()
    }
  })

  it('holds only files named by ids, and nothing was written beside the data folder', function () {
    assert.deepEqual(readdirSync(parent), ['data'])
    const files = walk(dataDir)
    const strays = files.filter((file) => !ALLOWED.some((pattern) => pattern.test(file.split('\\').join('/'))))
    assert.deepEqual(strays, [])
    assert.ok(files.filter((file) => file.endsWith('.db') && file.includes('stores')).length > 10)
  })
})
