import {parseFastArgs, type FastOptions} from './options.js'
import {plainLocalPaths} from './plain-local.js'
import {runDeploy, type DeployIo} from '../lib/cli/run-deploy.js'
import {KvError} from '../lib/errors.js'
import {LocalBackend} from '../lib/sqlite/local-backend.js'
import {DEFAULT_LIMITS} from '../lib/validation.js'

/** The flags of `deploy` this path takes, spelt as the command's (a test compares them). */
export const DEPLOY_OPTIONS = {
  from: {type: 'string', short: 'f'},
  link: {type: 'string', multiple: true},
  yes: {type: 'boolean', short: 'y'},
  'dry-run': {type: 'boolean'},
  'key-value': {type: 'string', multiple: true},
  'runtime-config': {type: 'string'},
  prune: {type: 'boolean'},
  local: {type: 'boolean'},
} satisfies FastOptions

/**
 * A scripted deploy on the local backend (every label answered by --link, --yes or an existing
 * link) runs without loading oclif, which is most of a deploy's start-up time. It shares
 * runDeploy with the command, so it prints the same; anything it does not take (--json, --help,
 * a question to ask, a remote login, a config file, any error before the backend applies the
 * deploy) returns false with nothing printed and nothing changed, and bin/run.js hands the same
 * argv to the oclif command. Returns true when it has handled the command.
 */
export async function fastDeploy(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const parsed = parseFastArgs(argv, DEPLOY_OPTIONS, false)
  if (!parsed) return false
  const values = parsed.values as {
    from?: string
    link?: string[]
    yes?: boolean
    'dry-run'?: boolean
    'key-value'?: string[]
    'runtime-config'?: string
    prune?: boolean
    local?: boolean
  }

  // Only the plain local case: a login, remote settings or user limits need the full command.
  const paths = plainLocalPaths(env, values.local)
  if (!paths) return false

  // Held back until the outcome is known, so a declined run prints nothing twice.
  const stdout: string[] = []
  const stderr: string[] = []
  const flush = () => {
    if (stdout.length > 0) process.stdout.write(stdout.join(''))
    if (stderr.length > 0) process.stderr.write(stderr.join(''))
    stdout.length = 0
    stderr.length = 0
  }
  let applied = false
  const io: DeployIo = {
    human: true,
    log: (text) => stdout.push(text + '\n'),
    note: (text) => stderr.push(text + '\n'),
    warn: (text) => stderr.push(`Warning: ${text}\n`),
    // A question to ask: the command asks it, or fails with the copyable command line.
    answer: async () => {
      throw new Error('declined')
    },
    applied: () => {
      applied = true
    },
  }

  let backend: LocalBackend | undefined
  try {
    await runDeploy(
      async () => (backend = LocalBackend.open({home: paths.dataDir, limits: DEFAULT_LIMITS})),
      {
        from: values.from,
        links: values.link ?? [],
        yes: values.yes ?? false,
        dryRun: values['dry-run'] ?? false,
        keyValues: values['key-value'] ?? [],
        runtimeConfig: values['runtime-config'],
        prune: values.prune,
        cwd: process.cwd(),
      },
      io,
    )
    flush()
    return true
  } catch (error) {
    // Nothing has changed yet: the command redoes it all and owns every message and exit code.
    if (!applied) return false
    // The deploy is applied; report what failed after it, as the command would.
    flush()
    const kvError = error instanceof KvError ? error : undefined
    const {chalk} = await import('../lib/cli/output.js')
    process.stderr.write(`${chalk.red('Error:')} ${(error as Error).message}\n`)
    const {adviceFor} = await import('../lib/cli/advice.js')
    for (const hint of kvError ? adviceFor(kvError) : []) process.stderr.write(`${hint}\n`)
    process.exitCode = kvError?.exitCode ?? 1
    return true
  } finally {
    await backend?.close()
  }
}
