// `npm run package:spin-plugin`: kvcloud as a Spin plugin, in dist/spin-plugin/:
//   kvcloud.json                              the plugin manifest (spin plugins install --file kvcloud.json)
//   kvcloud-VERSION-linux-amd64.tar.gz        `kvcloud` and `kvcloud.license`, per platform
//   kvcloud-VERSION-linux-aarch64.tar.gz
// `kvcloud` is Node 24 (the official binary, from the npm registry's node-<os>-<arch> package) as a
// single executable application: its main script is src/sea/launcher.cts, and kvcloud itself (the
// npm package as packed, with its production dependencies) rides along as one compressed asset.
// One blob serves every platform: it is made by Node 24 for linux-x64, of the same version as
// every target's Node, without a code cache or snapshot (the two parts of a blob that are
// platform-specific), as Node's documentation says for building on one platform for another.
// macOS and Windows are not built: see the README ("The Spin plugin").
//
// Usage: npm run package:spin-plugin [-- --base-url URL] [--platforms linux-amd64,linux-aarch64]
// Without --base-url the manifest's package URLs are file: URLs of the tarballs here, which is
// what `spin plugins install --file` takes for local tarballs (Spin parses each `url` as an
// absolute URL: a relative path is refused).
import {execFile, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chmodSync, copyFileSync, createReadStream, createWriteStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative, resolve} from 'node:path'
import {pipeline} from 'node:stream/promises'
import {pathToFileURL} from 'node:url'
import {parseArgs, promisify} from 'node:util'
import {brotliCompressSync, constants as zlib, createGzip} from 'node:zlib'
import type {AppArchiveHeader, AppAsset} from '../src/sea/launcher.cjs'
import {envForNode, packTarball, repoRoot} from './pack-install.js'
import {registryNode, registryPackage} from './registry-tools.js'

const run = promisify(execFile)

/** Node's own name for the fuse that tells a binary it carries a SEA blob (doc/api/single-executable-applications.md). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'
const POSTJECT = '1.0.0-alpha.6'
/** Spin 3's runtime config and key-value file format are what kvcloud writes (test/spin mirrors Spin 3.x). */
export const SPIN_COMPATIBILITY = '>=3.0'

/** Spin's names (crates/plugins/src/manifest.rs: Os, Architecture) beside the node-* package's. */
export const PLATFORMS = {
  'linux-amd64': {os: 'linux', arch: 'amd64', node: 'linux-x64', qemu: undefined},
  // Run here through qemu, with the C libraries of Debian's libc6-arm64-cross and libstdc++6-arm64-cross.
  'linux-aarch64': {os: 'linux', arch: 'aarch64', node: 'linux-arm64', qemu: {command: 'qemu-aarch64-static', sysroot: '/usr/aarch64-linux-gnu'}},
} as const
export type PlatformName = keyof typeof PLATFORMS

export interface PluginPackage {
  os: string
  arch: string
  url: string
  sha256: string
}

export interface PluginManifest {
  name: string
  description: string
  homepage: string
  version: string
  spinCompatibility: string
  license: string
  packages: PluginPackage[]
}

export interface BuiltPlugin {
  manifestPath: string
  manifest: PluginManifest
  tarballs: Record<string, string>
  nodeVersion: string
  /** What the build ran, per platform: "--version printed ..." or why it could not run it. */
  checked: Record<string, string>
}

interface PackageJson {
  name: string
  version: string
  description: string
  license: string
  homepage: string
}

/** Files of the app that the plugin does not need at run time (types, source maps, docs). */
function shipped(path: string): boolean {
  return !(
    /(^|\/)node_modules\/\.bin\//.test(path) ||
    path === 'node_modules/.package-lock.json' ||
    path === 'package-lock.json' ||
    /\.d\.[cm]?ts$|\.map$/.test(path) ||
    (/\.md$/i.test(path) && !/licen[cs]e/i.test(path))
  )
}

/** kvcloud's production install: the packed tarball, its locked production dependencies. */
async function stageApp(work: string): Promise<string> {
  const tarball = await packTarball(work)
  await run('tar', ['-xzf', tarball, '-C', work])
  const app = join(work, 'package')
  copyFileSync(join(repoRoot, 'package-lock.json'), join(app, 'package-lock.json'))
  // Scripts off and optional dependencies out: Node 24 has node:sqlite, and better-sqlite3 (the
  // one optional dependency) is for Node 20.
  await run('npm', ['ci', '--omit=dev', '--omit=optional', '--ignore-scripts', '--no-audit', '--no-fund'], {cwd: app, env: envForNode(process.execPath), maxBuffer: 16 * 1024 * 1024})
  if (existsSync(join(app, 'node_modules', 'better-sqlite3'))) throw new Error('better-sqlite3 was installed into the plugin\'s app: is it still an optional dependency?')
  return app
}

/** The app as one archive: a header naming each file, then the files' bytes (src/sea/launcher.cts reads it). */
function archiveApp(app: string): {archive: Buffer; files: number} {
  const files: AppArchiveHeader['files'] = []
  const contents: Buffer[] = []
  const paths = readdirSync(app, {recursive: true, encoding: 'utf8'}).map((path) => path.split('\\').join('/')).sort()
  for (const path of paths) {
    const full = join(app, path)
    const stat = lstatSync(full)
    if (stat.isDirectory() || !shipped(path)) continue
    if (!stat.isFile()) throw new Error(`${path} in the staged app is not a plain file; the plugin's archive holds only files`)
    const bytes = readFileSync(full)
    files.push({path, size: bytes.length, mode: stat.mode & 0o777})
    contents.push(bytes)
  }
  const header = Buffer.from(JSON.stringify({files} satisfies AppArchiveHeader))
  const length = Buffer.alloc(4)
  length.writeUInt32BE(header.length)
  return {archive: Buffer.concat([length, header, ...contents]), files: files.length}
}

/** kvcloud's license, then every third-party notice the executable carries: Node's and each npm package's. */
function licenseText(app: string, nodeDir: string, nodeVersion: string): string {
  const parts = [readFileSync(join(repoRoot, 'LICENSE'), 'utf8').trimEnd()]
  parts.push(`${'='.repeat(78)}\nThird-party software in this executable\n${'='.repeat(78)}`)
  parts.push(`Node.js ${nodeVersion} (the executable is Node.js with kvcloud inside):\n\n${readFileSync(join(nodeDir, 'LICENSE'), 'utf8').trimEnd()}`)
  // Each package's root: node_modules/NAME/package.json (or @SCOPE/NAME), naming that package.
  const roots = readdirSync(app, {recursive: true, encoding: 'utf8'})
    .map((path) => path.split('\\').join('/'))
    .map((path) => /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/@][^/]*)\/package\.json$/.exec(path))
    .filter((match) => match !== null)
    .map((match) => [match.input, match[1]!] as const)
    .sort((a, b) => a[0].localeCompare(b[0]))
  const seen = new Set<string>()
  for (const [path, name] of roots) {
    const dir = join(app, path, '..')
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {name?: string; version?: string; license?: string}
    if (pkg.name !== name || !pkg.version) continue
    const id = `${pkg.name}@${pkg.version}`
    if (seen.has(id)) continue
    seen.add(id)
    const file = readdirSync(dir).find((name) => /^(licen[cs]e|copying)/i.test(name))
    const text = file ? readFileSync(join(dir, file), 'utf8').trimEnd() : `(no license file; package.json says: ${pkg.license ?? 'nothing'})`
    parts.push(`${id} (${pkg.license ?? 'license not stated'}):\n\n${text}`)
  }
  return parts.join('\n\n' + '-'.repeat(78) + '\n\n') + '\n'
}

/** Runs postject in a child process: its ELF library prints warnings by the hundred that say nothing. */
async function inject(executable: string, blob: string, postjectApi: string): Promise<void> {
  const script = `require(${JSON.stringify(postjectApi)}).inject(${JSON.stringify(executable)}, 'NODE_SEA_BLOB', require('fs').readFileSync(${JSON.stringify(blob)}), {sentinelFuse: ${JSON.stringify(SEA_FUSE)}}).catch((e) => { console.error(e); process.exit(1) })`
  await run(process.execPath, ['-e', script], {maxBuffer: 64 * 1024 * 1024}).catch((error: Error & {stderr?: string}) => {
    throw new Error(`postject could not inject the blob into ${executable}: ${(error.stderr ?? error.message).split('\n').filter((line) => !line.startsWith('warning:')).join('\n')}`)
  })
}

/** A reproducible tar.gz of `names` in `dir`: sorted, owned by root, dated `epoch`. */
async function tarGz(dir: string, names: string[], out: string, epoch: number): Promise<void> {
  const tar = spawn('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', `--mtime=@${epoch}`, '-C', dir, '-cf', '-', ...names], {stdio: ['ignore', 'pipe', 'inherit']})
  const exited = new Promise<void>((resolvePromise, reject) => tar.on('close', (code) => (code === 0 ? resolvePromise() : reject(new Error(`tar exited ${code}`)))))
  await pipeline(tar.stdout, createGzip({level: 9}), createWriteStream(out))
  await exited
}

function sha256Of(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256')
    createReadStream(path).on('data', (chunk) => hash.update(chunk)).on('error', reject).on('end', () => resolvePromise(hash.digest('hex')))
  })
}

/** Whether a command is on PATH. */
async function onPath(command: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${command}`]).then(() => true, () => false)
}

/**
 * Runs the built executable's --version with a cache of its own: directly, or through qemu for
 * another architecture when qemu and that architecture's C libraries are installed.
 */
export async function smokeTest(executable: string, platform: PlatformName, work: string): Promise<string> {
  const {qemu} = PLATFORMS[platform]
  if (qemu && (!(await onPath(qemu.command)) || !existsSync(qemu.sysroot))) {
    return `not run: needs ${qemu.command} and C libraries in ${qemu.sysroot} (Debian's qemu-user-static, libc6-arm64-cross and libstdc++6-arm64-cross)`
  }
  const home = mkdtempSync(join(work, 'smoke-'))
  const [command, args] = qemu ? [qemu.command, ['-L', qemu.sysroot, executable, '--version']] : [executable, ['--version']]
  const {stdout} = await run(command, args, {env: {PATH: '/usr/bin:/bin', HOME: home, KVCLOUD_HOME: home}, timeout: 300_000})
  return `--version printed "${stdout.trim()}"${qemu ? ` (under ${qemu.command})` : ''}`
}

export async function buildSpinPlugin(options: {out: string; baseUrl?: string; platforms: PlatformName[]}): Promise<BuiltPlugin> {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as PackageJson
  const launcher = join(repoRoot, 'dist', 'sea', 'launcher.cjs')
  if (!existsSync(launcher)) throw new Error(`${launcher} is missing: run "npm run build" first`)
  const work = mkdtempSync(join(tmpdir(), 'kvcloud-spin-plugin-'))
  try {
    const host = await registryNode('24', 'linux-x64')
    const [app, postject] = await Promise.all([stageApp(work), registryPackage('postject', POSTJECT)])
    const {archive, files} = archiveApp(app)
    const appAsset: AppAsset = {version: pkg.version, sha256: createHash('sha256').update(archive).digest('hex'), bytes: archive.length, files}
    writeFileSync(join(work, 'app.br'), brotliCompressSync(archive, {params: {[zlib.BROTLI_PARAM_QUALITY]: 9, [zlib.BROTLI_PARAM_SIZE_HINT]: archive.length}}))
    writeFileSync(join(work, 'app.json'), JSON.stringify(appAsset))
    writeFileSync(join(work, 'sea-config.json'), JSON.stringify({
      main: launcher,
      output: join(work, 'kvcloud.blob'),
      disableExperimentalSEAWarning: true,
      useCodeCache: false,
      useSnapshot: false,
      assets: {app: join(work, 'app.br'), 'app.json': join(work, 'app.json')},
    }))
    await run(host.node, ['--experimental-sea-config', join(work, 'sea-config.json')], {cwd: work})

    rmSync(options.out, {recursive: true, force: true})
    mkdirSync(options.out, {recursive: true})
    const epoch = Number(process.env.SOURCE_DATE_EPOCH || (await run('git', ['log', '-1', '--format=%ct'], {cwd: repoRoot}).then(({stdout}) => stdout.trim(), () => '0')))
    const packages: PluginPackage[] = []
    const tarballs: Record<string, string> = {}
    const checked: Record<string, string> = {}
    await Promise.all(options.platforms.map(async (platform) => {
      const target = PLATFORMS[platform]
      const node = target.node === 'linux-x64' ? host : await registryNode(host.version, target.node)
      const dir = join(work, platform)
      mkdirSync(dir)
      const executable = join(dir, 'kvcloud')
      copyFileSync(node.node, executable)
      chmodSync(executable, 0o755)
      await inject(executable, join(work, 'kvcloud.blob'), join(postject.dir, 'dist', 'api.js'))
      writeFileSync(join(dir, 'kvcloud.license'), licenseText(app, node.dir, node.version))
      checked[platform] = await smokeTest(executable, platform, work)
      const file = `kvcloud-${pkg.version}-${platform}.tar.gz`
      tarballs[platform] = join(options.out, file)
      await tarGz(dir, ['kvcloud', 'kvcloud.license'], tarballs[platform], epoch)
      const url = options.baseUrl ? `${options.baseUrl.replace(/\/+$/, '')}/${file}` : pathToFileURL(resolve(tarballs[platform])).href
      packages.push({os: target.os, arch: target.arch, url, sha256: await sha256Of(tarballs[platform])})
    }))
    packages.sort((a, b) => `${a.os}-${a.arch}`.localeCompare(`${b.os}-${b.arch}`))
    const manifest: PluginManifest = {
      name: pkg.name,
      description: pkg.description,
      homepage: pkg.homepage,
      version: pkg.version,
      spinCompatibility: SPIN_COMPATIBILITY,
      license: pkg.license,
      packages,
    }
    const manifestPath = join(options.out, 'kvcloud.json')
    writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n')
    return {manifestPath, manifest, tarballs, nodeVersion: host.version, checked}
  } finally {
    rmSync(work, {recursive: true, force: true})
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const {values} = parseArgs({options: {'base-url': {type: 'string'}, platforms: {type: 'string', default: Object.keys(PLATFORMS).join(',')}, out: {type: 'string', default: join(repoRoot, 'dist', 'spin-plugin')}}})
  const platforms = values.platforms.split(',') as PlatformName[]
  const unknown = platforms.filter((platform) => !(platform in PLATFORMS))
  if (unknown.length > 0) {
    process.stderr.write(`Unknown platform ${unknown.join(', ')}; this script builds ${Object.keys(PLATFORMS).join(', ')}.\n`)
    process.exit(2)
  }
  const started = performance.now()
  const built = await buildSpinPlugin({out: resolve(values.out), baseUrl: values['base-url'], platforms})
  console.log(`Spin plugin kvcloud ${built.manifest.version} (Node ${built.nodeVersion}) in ${((performance.now() - started) / 1000).toFixed(0)} s:`)
  for (const [platform, tarball] of Object.entries(built.tarballs)) {
    console.log(`  ${relative(process.cwd(), tarball)}  ${(statSync(tarball).size / 1e6).toFixed(1)} MB  ${built.checked[platform]}`)
  }
  console.log(`  ${relative(process.cwd(), built.manifestPath)}\nInstall with: spin plugins install --file ${relative(process.cwd(), built.manifestPath)}`)
}
