import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const binPath = join(repoRoot, 'bin', 'run.js')

export interface CliResult {
  stdout: string
  stderr: string
  /** stdout as raw bytes, for binary values. */
  stdoutBytes: Buffer
  exitCode: number
}

export interface CliOptions {
  /** KVCLOUD_HOME for the run; required so no test touches the user's real data. */
  home: string
  env?: NodeJS.ProcessEnv
  /** Written to stdin, then stdin is closed. Without it stdin is closed at once. */
  input?: string | Buffer
  cwd?: string
  timeoutMs?: number
}

const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy']

/** Runs the built binary (bin/run.js) with no terminal, as a script or CI would. */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KVCLOUD_HOME: options.home,
    NO_COLOR: '1',
    ...options.env,
  }
  delete env.FORCE_COLOR
  // A proxy set on the machine would stand between every test and its loopback server: only a test that sets one gets one.
  for (const key of PROXY_VARIABLES) if (!Object.hasOwn(options.env ?? {}, key)) delete env[key]
  for (const key of Object.keys(options.env ?? {})) {
    if (options.env?.[key] === undefined) delete env[key]
  }
  return runToEnd(process.execPath, [binPath, ...args], {cwd: options.cwd ?? options.home, env}, {
    input: options.input,
    timeoutMs: options.timeoutMs ?? 20000,
    what: `kvcloud ${args.join(' ')}`,
  })
}

/** Runs a process to its end with stdin closed after `input`, collecting its output; killed, and a failure, after timeoutMs. */
export function runToEnd(
  command: string,
  args: string[],
  spawnOptions: {cwd: string; env: NodeJS.ProcessEnv},
  options: {input?: string | Buffer; timeoutMs: number; what: string},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, spawnOptions)
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${options.what} did not finish within ${options.timeoutMs} ms`))
    }, options.timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      const stdoutBytes = Buffer.concat(out)
      resolvePromise({stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr: Buffer.concat(err).toString('utf8'), exitCode: code ?? -1})
    })
    child.stdin.on('error', () => {})
    child.stdin.end(options.input ?? '')
  })
}

/** A fresh KVCLOUD_HOME; remove it with the returned cleanup. */
export function tempHome(prefix = 'kvcloud-test-'): {home: string; cleanup: () => void} {
  const home = mkdtempSync(join(tmpdir(), prefix))
  return {home, cleanup: () => rmSync(home, {recursive: true, force: true})}
}
