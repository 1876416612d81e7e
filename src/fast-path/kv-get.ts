import {parseFastArgs, type FastOptions} from './options.js'
import {plainLocalPaths} from './plain-local.js'
import type {StoreTarget} from '../lib/backend.js'
import {KvError} from '../lib/errors.js'
import {valueForStdout} from '../lib/bytes.js'
import {LocalBackend} from '../lib/sqlite/local-backend.js'
import {DEFAULT_LIMITS} from '../lib/validation.js'

/**
 * `kv get` is what scripts and hooks call in loops, so on the local backend it answers without
 * loading oclif (about 100 ms of start-up on a small machine). It takes only the plain, common
 * forms of the command; anything else (--json, --help, a remote login, a config file, an odd
 * argument, any error) returns false, and bin/run.js hands the same argv to the oclif command,
 * which owns every message and exit code. Returns true when it has written the value.
 */
/** The flags of `kv get` this path takes, spelt as the command's (a test compares them). */
export const KV_GET_OPTIONS = {
  store: {type: 'string', short: 's'},
  label: {type: 'string', short: 'l'},
  app: {type: 'string', short: 'a'},
  local: {type: 'boolean'},
} satisfies FastOptions

export async function fastKvGet(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const parsed = parseFastArgs(argv, KV_GET_OPTIONS, true)
  if (!parsed) return false
  const {positionals} = parsed
  const values = parsed.values as {store?: string; label?: string; app?: string; local?: boolean}
  if (positionals.length !== 1) return false
  let target: StoreTarget
  if (values.store !== undefined && values.label === undefined && values.app === undefined) target = {store: values.store}
  else if (values.store === undefined && values.label !== undefined && values.app !== undefined) target = {app: values.app, label: values.label}
  else return false

  // Only the plain local case: a login, remote settings or user limits need the full command.
  const paths = plainLocalPaths(env, values.local)
  if (!paths) return false

  let backend: LocalBackend | undefined
  try {
    backend = LocalBackend.open({home: paths.dataDir, limits: DEFAULT_LIMITS})
    const value = valueForStdout(await backend.getValue(target, positionals[0]!), process.stdout.isTTY === true)
    await new Promise<void>((resolve, reject) => process.stdout.write(value, (error) => (error ? reject(error) : resolve())))
    return true
  } catch (error) {
    if (error instanceof KvError) return false
    throw error
  } finally {
    await backend?.close()
  }
}
