import assert from 'node:assert/strict'
import {join} from 'node:path'
import {runCli, repoRoot, tempHome} from '../helpers/cli.js'
import {cli, writeApp} from '../helpers/app-dir.js'
import {sqliteBinding} from '../../src/lib/sqlite/sqlite-binding.js'

/** The packages a run of the binary loaded, as report-packages.cjs lists them on stderr. */
async function loadedPackages(args: string[], home: string, cwd?: string): Promise<string[]> {
  const preload = join(repoRoot, 'test', 'fast-path', 'report-packages.cjs')
  const result = await runCli(args, {home, cwd, env: {NODE_OPTIONS: `--require ${JSON.stringify(preload)}`}})
  assert.equal(result.exitCode, 0, result.stderr)
  const match = /\nLOADED PACKAGES (\[.*\])\n$/.exec(result.stderr)
  assert.ok(match, `no package report in stderr: ${result.stderr}`)
  return JSON.parse(match[1]!) as string[]
}

describe('what the fast paths load', function () {
  let home: string
  let cleanup: () => void

  before(async function () {
    ;({home, cleanup} = tempHome())
    await cli(['kv', 'create', 'fast'], {home})
    await cli(['kv', 'set', '-s', 'fast', 'greeting=hello'], {home})
  })

  after(function () {
    cleanup()
  })

  it('kv get and a scripted deploy load neither oclif nor unbundled libraries, only the SQLite addon where Node has no node:sqlite', async function () {
    // The fast paths exist to skip oclif's start-up, and each is one bundled file: anything
    // else loaded from node_modules means a fast path declined or the bundle is not in use.
    const sqlite = sqliteBinding().name === 'better-sqlite3' ? ['better-sqlite3', 'bindings', 'file-uri-to-path'] : []
    assert.deepEqual(await loadedPackages(['kv', 'get', '-s', 'fast', 'greeting'], home), sqlite)
    const app = join(home, 'app')
    writeApp(app, 'loads', ['cache', 'default'])
    assert.deepEqual(
      await loadedPackages(['deploy', '--link', 'kv:cache=fast', '--link', 'kv:default=fresh'], home, app),
      sqlite,
    )
  })

  it('loads oclif when the fast path steps aside', async function () {
    const packages = await loadedPackages(['kv', 'get', '-s', 'fast', 'greeting', '--json'], home)
    assert.ok(packages.includes('@oclif/core'), packages.join(', '))
  })
})
