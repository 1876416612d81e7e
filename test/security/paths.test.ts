import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readdirSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import type {FastifyInstance} from 'fastify'
import fc from 'fast-check'
import {Pool} from 'undici'
import {HttpBackend} from '../../src/lib/http/http-backend.js'
import {buildServer} from '../../src/lib/server/build-server.js'
import {AccountRegistry} from '../../src/lib/sqlite/accounts.js'
import {KvError, type ErrorKind} from '../../src/lib/errors.js'
import {DEFAULT_LIMITS, isValidAppName} from '../../src/lib/validation.js'
import {request, type TestServer} from '../helpers/test-server.js'

/** A call's end: success, or the kind of KvError it was refused with. */
type Outcome = ErrorKind | 'ok'

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

/** No lone surrogates: the text has a UTF-8 form. */
function wellFormed(text: string): boolean {
  return Buffer.from(text, 'utf8').toString('utf8') === text
}

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

  it('renames, links, deploys and writes keys under hostile names, each refused with the kind its input earns, none becoming a path', async function () {
    const backend = await HttpBackend.connect({url: server.url, token, limits: DEFAULT_LIMITS})
    const refusals = new Map<string, number>()
    /** Runs one call: it succeeds, or fails with a KvError of a kind in `allowed` (never a 5xx, never an unexpected error). */
    async function outcome(what: string, call: () => Promise<unknown>, allowed: Outcome[]): Promise<Outcome> {
      let result: Outcome = 'ok'
      try {
        await call()
      } catch (error) {
        assert.ok(error instanceof KvError, `${what}: not a KvError: ${String(error)}`)
        result = error.kind
        const tally = `${what.split(' ')[0]} ${error.kind}`
        refusals.set(tally, (refusals.get(tally) ?? 0) + 1)
      }
      assert.ok(allowed.includes(result), `${what}: ${result}, expected ${allowed.join(' or ')}`)
      return result
    }
    try {
      await backend.createStore('victim')
      await fc.assert(
        fc.asyncProperty(nameArbitrary, nameArbitrary, nameArbitrary, async (name, app, key) => {
          const quoted = JSON.stringify(name)
          // A store name outside the rule is refused as invalid; a good one is taken, unless a store has it already.
          const renamed = await outcome(`rename victim to ${quoted}`, () => backend.renameStore('victim', name),
            STORE_NAME.test(name) ? ['ok', 'conflict'] : ['invalid'])
          if (renamed === 'ok') await outcome(`rename ${quoted} back`, () => backend.renameStore(name, 'victim'), ['ok'])
          // Deploy holds app names to Spin's id rule; a good name deploys.
          const appValid = isValidAppName(app)
          await outcome(`deploy ${JSON.stringify(app)}`, () => backend.deploy({
            app: {name: app, components: [{id: 'web', keyValueStores: ['default'], sqliteDatabases: []}]},
            links: [{label: 'default', store: 'victim', create: false}],
          }), appValid ? ['ok'] : ['invalid'])
          // An app that could not deploy is not found (a name that is not even UTF-8 cannot be sent: invalid). After a
          // deploy, "default" points at victim: linking it to another store conflicts, to a missing one is not found.
          const linkAllowed: Outcome[] = !appValid ? [wellFormed(app) ? 'not-found' : 'invalid']
            : name === 'victim' ? ['ok']
            : STORE_NAME.test(name) ? ['not-found', 'conflict']
            : ['invalid', 'not-found']
          await outcome(`link ${JSON.stringify(app)} default to ${quoted}`, () => backend.linkStore({app, label: 'default', store: name}), linkAllowed)
          // Keys are checked before they are sent: empty or not UTF-8 is invalid, over the key limit too large.
          const keyAllowed: Outcome[] = key === '' || !wellFormed(key) ? ['invalid']
            : Buffer.byteLength(key) > DEFAULT_LIMITS.maxKeyBytes ? ['too-large']
            : ['ok']
          await outcome(`set ${JSON.stringify(key)}`, () => backend.setValues({store: 'victim'}, [{key, value: Buffer.from(name)}]), keyAllowed)
        }),
        {numRuns: 100},
      )
      // Renaming onto a path is refused outright.
      await assert.rejects(backend.renameStore('victim', '../../outside'), (error: unknown) => {
        assert.ok(error instanceof KvError)
        assert.equal(error.kind, 'invalid')
        assert.match(error.message, /Invalid key value store name/)
        return true
      })
      // The hostile inputs did reach every kind of refusal, so the assertions above were exercised.
      for (const expected of ['rename invalid', 'deploy invalid', 'link not-found']) {
        assert.ok(refusals.has(expected), `no "${expected}" among ${JSON.stringify([...refusals])}`)
      }
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
