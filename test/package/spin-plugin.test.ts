import {strict as assert} from 'node:assert'
import {execFile, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'
import {buildSpinPlugin, type BuiltPlugin} from '../../scripts/spin-plugin.js'
import {skipOnSecondaryPass} from '../helpers/ci-pass.js'
import {repoRoot} from '../helpers/cli.js'

const run = promisify(execFile)

interface Result {
  stdout: string
  stderr: string
  exitCode: number
}

// The Spin plugin as a user's machine gets it: the linux-amd64 tarball unpacked as Spin unpacks it
// (crates/plugins/src/store.rs: the tarball's files into the plugin's folder), run with no Node
// anywhere on PATH and a fresh home (nothing in the executable needs one: no better-sqlite3, no
// child Node). The manifest is checked against what Spin reads
// (crates/plugins/src/manifest.rs, Spin 4.1's source).
describe('the Spin plugin (npm run package:spin-plugin)', function () {
  this.timeout(600_000)
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {version: string; license: string}
  const root = mkdtempSync(join(tmpdir(), 'kvcloud-spin-plugin-test-'))
  const pluginDir = join(root, 'plugins', 'kvcloud')
  const emptyPath = join(root, 'empty-path')
  let built: BuiltPlugin

  before(async function () {
    skipOnSecondaryPass(this, 'the Spin plugin, which carries its own Node 24,')
    built = await buildSpinPlugin({out: join(root, 'out'), platforms: ['linux-amd64']})
    mkdirSync(pluginDir, {recursive: true})
    mkdirSync(emptyPath)
    await run('tar', ['-xzf', built.tarballs['linux-amd64']!, '-C', pluginDir])
  })
  after(() => rmSync(root, {recursive: true, force: true}))

  /** The plugin's executable with PATH holding one empty folder, so no node can be found. */
  function plugin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
    const home = env.HOME ?? mkdtempSync(join(root, 'home-'))
    return new Promise((resolvePromise, reject) => {
      const child = spawn(join(pluginDir, 'kvcloud'), args, {
        cwd: home,
        env: {PATH: emptyPath, HOME: home, KVCLOUD_HOME: join(home, 'kvcloud'), NO_COLOR: '1', ...env},
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
      child.on('error', reject)
      child.on('close', (code) => resolvePromise({stdout, stderr, exitCode: code ?? -1}))
    })
  }

  it('is a tarball of the executable and its license, beside a manifest that Spin reads', () => {
    assert.deepEqual(readdirSync(pluginDir).sort(), ['kvcloud', 'kvcloud.license'])
    assert.ok((statSync(join(pluginDir, 'kvcloud')).mode & 0o111) !== 0, 'kvcloud is not executable')
    const license = readFileSync(join(pluginDir, 'kvcloud.license'), 'utf8')
    assert.match(license, /^\s*Apache License\s+Version 2\.0/)
    assert.match(license, /Node\.js 24\.\d+\.\d+ \(the executable is Node\.js with kvcloud inside\)/)
    assert.match(license, /@oclif\/core@\d+\.\d+\.\d+ \(MIT\)/)

    const manifest = JSON.parse(readFileSync(built.manifestPath, 'utf8')) as Record<string, unknown>
    assert.deepEqual(Object.keys(manifest).sort(), ['description', 'homepage', 'license', 'name', 'packages', 'spinCompatibility', 'version'])
    assert.equal(manifest.name, 'kvcloud')
    assert.equal(manifest.version, pkg.version)
    assert.equal(manifest.license, pkg.license)
    assert.match(String(manifest.description), /Spin/)
    // A semver requirement, as Spin's VersionReq::parse takes it.
    assert.match(String(manifest.spinCompatibility), /^(>=|=|\^|~)?\d+(\.\d+){0,2}$/)
    const packages = manifest.packages as {os: string; arch: string; url: string; sha256: string}[]
    assert.deepEqual(packages.map(({os, arch}) => `${os}-${arch}`), ['linux-amd64'])
    for (const entry of packages) {
      // Spin parses `url` as an absolute URL and reads file: URLs from disk.
      const path = fileURLToPath(entry.url)
      assert.equal(path, built.tarballs['linux-amd64'])
      assert.equal(entry.sha256, createHash('sha256').update(readFileSync(path)).digest('hex'))
    }
  })

  it('runs with no Node on PATH: --version names kvcloud and the Node inside', async () => {
    assert.ok(!existsSync(join(emptyPath, 'node')))
    const result = await plugin(['--version'])
    assert.equal(result.stderr, '')
    assert.equal(result.stdout, `kvcloud/${pkg.version} linux-x64 node-v${built.nodeVersion}\n`)
    assert.equal(result.exitCode, 0)
  })

  it('keeps stores with no Node on PATH: create, set, get, through node:sqlite', async () => {
    const home = mkdtempSync(join(root, 'home-'))
    const created = await plugin(['kv', 'create', 'greetings'], {HOME: home})
    assert.deepEqual([created.stdout, created.stderr, created.exitCode], ['Key value store "greetings" created\n', '', 0])
    const set = await plugin(['kv', 'set', '-s', 'greetings', 'hello=world'], {HOME: home})
    assert.deepEqual([set.stderr, set.exitCode], ['', 0])
    const got = await plugin(['kv', 'get', '-s', 'greetings', 'hello'], {HOME: home})
    assert.deepEqual([got.stdout, got.stderr, got.exitCode], ['world', '', 0])
    const status = await plugin(['status'], {HOME: home})
    assert.match(status.stdout, new RegExp(`^SQLite: .*through node:sqlite \\(built into Node ${built.nodeVersion.replaceAll('.', '\\.')}\\)$`, 'm'))
  })

  it('says "spin kvcloud" in help and hints when Spin runs it, "kvcloud" when not', async () => {
    const missing = await plugin(['kv', 'keys', '-s', 'missing'], {SPIN_BIN_PATH: '/usr/local/bin/spin'})
    assert.equal(missing.exitCode, 3)
    assert.match(missing.stderr, /^Run "spin kvcloud kv list" to see your stores\.$/m)
    const inSpin = await plugin(['kv', 'lst'], {SPIN_BIN_PATH: '/usr/local/bin/spin'})
    assert.equal(inSpin.exitCode, 2)
    assert.match(inSpin.stderr, /^Did you mean "spin kvcloud kv list"\?$/m)
    const help = await plugin(['--help'], {SPIN_BIN_PATH: '/usr/local/bin/spin'})
    assert.match(help.stdout, /^ {2}\$ spin kvcloud \[COMMAND\]$/m)
    const outside = await plugin(['kv', 'lst'])
    assert.match(outside.stderr, /^Did you mean "kvcloud kv list"\?$/m)
  })

  it('unpacks once per build: concurrent first runs share one copy, a damaged copy is replaced', async () => {
    const home = mkdtempSync(join(root, 'home-'))
    const cache = join(home, 'kvcloud', 'cache', 'spin-plugin')
    const results = await Promise.all([1, 2, 3, 4].map(() => plugin(['--version'], {HOME: home})))
    for (const result of results) assert.deepEqual([result.exitCode, result.stderr], [0, ''])
    const folders = readdirSync(cache)
    assert.equal(folders.length, 1, `expected one unpacked copy, found ${folders.join(', ')}`)
    assert.match(folders[0]!, new RegExp(`^${pkg.version.replaceAll('.', '\\.')}-[0-9a-f]{12}$`))

    // A copy whose marker is gone is not trusted: the next run unpacks again.
    rmSync(join(cache, folders[0]!, '.kvcloud-app.json'))
    rmSync(join(cache, folders[0]!, 'dist', 'commands'), {recursive: true})
    const again = await plugin(['kv', 'lst'], {HOME: home})
    assert.match(again.stderr, /Did you mean "kvcloud kv list"\?/)
    assert.ok(existsSync(join(cache, folders[0]!, 'dist', 'commands', 'kv', 'list.js')))
  })

  it('fails with a clear message when it cannot unpack', async () => {
    const home = mkdtempSync(join(root, 'home-'))
    const notAFolder = join(home, 'file')
    writeFileSync(notAFolder, '')
    const result = await plugin(['--version'], {HOME: home, KVCLOUD_CACHE_DIR: join(notAFolder, 'cache')})
    assert.equal(result.exitCode, 1)
    assert.equal(result.stdout, '')
    assert.match(result.stderr, /^Error: kvcloud could not unpack its program files \(\d+ MB in \d+ files, once per version\) into .*\/file\/cache\/spin-plugin: ENOTDIR[^\n]*\.\nSet KVCLOUD_CACHE_DIR to a folder you can write to\.\n$/)
  })
})
