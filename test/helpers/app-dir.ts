import assert from 'node:assert/strict'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {openSqlite} from './sqlite.js'
import {parse} from 'smol-toml'
import {LocalBackend} from '../../src/lib/sqlite/local-backend.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'
import {runCli, type CliResult} from './cli.js'

/** Sets up state in-process, so only the command under test pays for a child process. */
export async function withBackend(home: string, use: (backend: LocalBackend) => Promise<void>): Promise<void> {
  const backend = LocalBackend.open({home, limits: DEFAULT_LIMITS})
  try {
    await use(backend)
  } finally {
    await backend.close()
  }
}

/** A Spin app folder with a v2 manifest whose one component opens `labels`. */
export function writeApp(dir: string, name: string, labels: string[], extra = ''): string {
  mkdirSync(dir, {recursive: true})
  const file = join(dir, 'spin.toml')
  writeFileSync(
    file,
    [
      'spin_manifest_version = 2',
      '',
      '[application]',
      `name = ${JSON.stringify(name)}`,
      'version = "0.1.0"',
      '',
      '[[trigger.http]]',
      'route = "/..."',
      'component = "web"',
      '',
      '[component.web]',
      'source = "web.wasm"',
      `key_value_stores = ${JSON.stringify(labels)}`,
      extra,
    ].join('\n'),
  )
  return file
}

/** Runs the binary and insists on the exit code, showing stderr when it differs. */
export async function cli(args: string[], options: {home: string; cwd?: string; input?: string; env?: NodeJS.ProcessEnv}, exitCode = 0): Promise<CliResult> {
  const result = await runCli(args, options)
  assert.equal(result.exitCode, exitCode, `kvcloud ${args.join(' ')} exited ${result.exitCode}, expected ${exitCode}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`)
  return result
}

/** Every store with its links, and every app with its revision and links: what "nothing changed" compares. */
export async function snapshot(home: string): Promise<string> {
  const [stores, apps] = await Promise.all([cli(['kv', 'list', '--json'], {home}), cli(['apps', 'list', '--json'], {home})])
  return JSON.stringify({stores: JSON.parse(stores.stdout) as unknown, apps: JSON.parse(apps.stdout) as unknown})
}

/**
 * Reads a key the way `spin up --runtime-config-file FILE` would: find the label's table, resolve
 * its path against the file's folder, and run Spin's own SELECT with the label as the store.
 */
export function readAsSpin(runtimeConfigFile: string, label: string, key: string): string | undefined {
  const config = parse(readFileSync(runtimeConfigFile, 'utf8')) as {key_value_store?: Record<string, {type?: string; path?: string}>}
  const table = config.key_value_store?.[label]
  assert.ok(table, `${runtimeConfigFile} has no [key_value_store.${label}]`)
  assert.equal(table.type, 'spin')
  assert.ok(table.path, 'the table has a path')
  const db = openSqlite(resolve(dirname(runtimeConfigFile), table.path), {readonly: true, fileMustExist: true})
  try {
    const row = db.prepare('SELECT value FROM spin_key_value WHERE store=? AND key=?').get(label, key) as {value: Buffer} | undefined
    return row?.value.toString('utf8')
  } finally {
    db.close()
  }
}
