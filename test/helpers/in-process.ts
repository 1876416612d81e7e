import {Config, Errors, run} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import {join} from 'node:path'
import {repoRoot, type CliResult} from './cli.js'

// Runs a kvcloud command in mocha's own process, as oclif's @oclif/test runCommand does: same
// argv parsing, same command classes, stdout and stderr captured apart, exit code from the
// command's exit. What it cannot show, the child-process tests (helpers/cli.ts) keep:
// - bin/run.js itself: the fast paths of `kv get` and `deploy` (an in-process run always takes
//   the oclif command), and its KVCLOUD_CACHE_DIR default (set here the same way);
// - a terminal or a closed stdin: in-process runs set CI, so no command ever asks a question
//   (mocha's stdin may be a terminal), and one that would fails as it does in CI;
// - process boundaries: signals, exit flushing, a second process on the same files.
// Use it for the command-output tests that need none of that.

let config: Promise<Config> | undefined
let queue: Promise<unknown> = Promise.resolve()

const CLEARED = ['KVCLOUD_URL', 'KVCLOUD_TOKEN', 'KVCLOUD_NO_FAST_PATH', 'FORCE_COLOR', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy']

export interface InProcessOptions {
  /** KVCLOUD_HOME for the run; required so no test touches the user's real data. */
  home: string
  /** Set for the run only (undefined removes a variable); restored after it. */
  env?: NodeJS.ProcessEnv
}

/**
 * Runs `kvcloud ARGS` in this process. Runs are queued one at a time: output capture replaces
 * process.stdout.write and process.env is shared, so two at once would mix their output.
 */
export function runInProcess(args: string[], options: InProcessOptions): Promise<CliResult & {result: unknown}> {
  const next = queue.then(() => runNow(args, options))
  queue = next.catch(() => undefined)
  return next
}

async function runNow(args: string[], options: InProcessOptions): Promise<CliResult & {result: unknown}> {
  config ??= Config.load({root: repoRoot})
  const loaded = await config
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(CLEARED.map((name) => [name, undefined])),
    KVCLOUD_HOME: options.home,
    KVCLOUD_CACHE_DIR: join(options.home, 'cache'),
    NO_COLOR: '1',
    CI: '1',
    ...options.env,
  }
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]))
  const exitCodeBefore = process.exitCode
  setEnv(env)
  try {
    const {error, result, stdout, stderr} = await captureOutput(() => run(args, loaded), {stripAnsi: true})
    return {stdout, stderr, stdoutBytes: Buffer.from(stdout, 'utf8'), exitCode: exitCodeOf(error), result}
  } finally {
    setEnv(saved)
    process.exitCode = exitCodeBefore
  }
}

function setEnv(values: NodeJS.ProcessEnv): void {
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
}

/** 0 for a command that returned; its exit code for one that exited; else the error itself fails the test. */
function exitCodeOf(error: Error | undefined): number {
  if (error === undefined) return 0
  const exit = (error as Errors.CLIError).oclif?.exit
  if (typeof exit === 'number') return exit
  throw error
}
