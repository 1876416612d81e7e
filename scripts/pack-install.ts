// kvcloud as users get it from npm: the packed tarball, installed globally with install scripts
// blocked (npm 12's default for dependencies, and what `--ignore-scripts` forces). Shared by the
// install test, bench/install.ts and the Spin plugin build.
import {execFile} from 'node:child_process'
import {readdirSync, statSync} from 'node:fs'
import {delimiter, dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

const run = promisify(execFile)
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * `npm pack` of the built tree into `destination`; returns the tarball's path. Scripts are off, so
 * the tarball holds the build already in dist/ (`npm run build` first for a fresh one), and
 * packing never rebuilds the tree under a running test suite.
 */
export async function packTarball(destination: string): Promise<string> {
  const {stdout} = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', destination], {cwd: repoRoot, maxBuffer: 16 * 1024 * 1024})
  const [{filename}] = JSON.parse(stdout) as [{filename: string}]
  return join(destination, filename)
}

/**
 * The environment for a registry Node and its npm: that Node first on PATH (so `#!/usr/bin/env
 * node` finds it), without the variables an enclosing `npm test` sets for its own npm and Node
 * (prefix, node-gyp, user agent), which would steer the inner npm. The user's own npm settings
 * (~/.npmrc, npm_config_registry) still apply.
 */
export function envForNode(node: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(base)) {
    if (/^npm_(config_(prefix|global_prefix|local_prefix|globalconfig|node_gyp|npm_version|user_agent)$|execpath$|node_execpath$|lifecycle_|package_)/i.test(key)) continue
    env[key] = value
  }
  env.PATH = [dirname(node), ...(base.PATH ?? '').split(delimiter).filter((entry) => entry !== '')].join(delimiter)
  env.npm_config_update_notifier = 'false'
  env.npm_config_fund = 'false'
  env.npm_config_audit = 'false'
  return env
}

export interface GlobalInstall {
  /** The installed command, `<prefix>/bin/kvcloud`. */
  bin: string
  /** The installed package folder. */
  packageDir: string
  milliseconds: number
  /** npm's own report (stderr), for a failure message. */
  npmOutput: string
}

/** `npm install -g --ignore-scripts TARBALL` into `prefix` with the given Node and npm. */
export async function installGlobally(tarball: string, prefix: string, node: string, npmCli: string): Promise<GlobalInstall> {
  const started = performance.now()
  const {stdout, stderr} = await run(node, [npmCli, 'install', '--global', '--ignore-scripts', '--prefix', prefix, tarball], {
    env: envForNode(node),
    timeout: 600_000,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: Error & {stdout?: string; stderr?: string}) => {
    throw new Error(`npm install -g --ignore-scripts ${tarball} failed: ${error.message}\n${error.stdout ?? ''}${error.stderr ?? ''}`)
  })
  return {
    bin: join(prefix, 'bin', 'kvcloud'),
    packageDir: join(prefix, 'lib', 'node_modules', 'kvcloud'),
    milliseconds: performance.now() - started,
    npmOutput: stdout + stderr,
  }
}

/** Bytes and files under `dir`, as `du --apparent-size` counts them (symbolic links not followed). */
export function folderSize(dir: string): {bytes: number; files: number} {
  let bytes = 0
  let files = 0
  for (const entry of readdirSync(dir, {withFileTypes: true, recursive: true})) {
    if (!entry.isFile()) continue
    bytes += statSync(join(entry.parentPath, entry.name)).size
    files++
  }
  return {bytes, files}
}
