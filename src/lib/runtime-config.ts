// The runtime config file that lets `spin up` open kvcloud's local stores: one
// `[key_value_store.LABEL] type = "spin" path = "..."` table per linked label, pointing at the
// store's SQLite file (Spin's own format). Only the tables kvcloud writes are touched; the rest of
// the user's file, comments included, stays as it was.

import {randomBytes} from 'node:crypto'
import {closeSync, existsSync, lstatSync, openSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {dirname, isAbsolute, join, relative, resolve, sep} from 'node:path'
import {parse, stringify, TomlError} from 'smol-toml'
import type {AppInfo, Backend} from './backend.js'
import {InvalidInputError, UnavailableError} from './errors.js'
import {shellQuote} from './shell.js'
import {isTomlTable, type TomlTable} from './toml-table.js'

export const DEFAULT_RUNTIME_CONFIG_NAME = 'runtime-config.toml'

/** The marker kvcloud puts in the tables it manages, so it can tell them from the user's own. */
const MARKER = '# Managed by kvcloud'

export interface RuntimeConfigEntry {
  label: string
  store: string
  /** Absolute path of the store's SQLite file. */
  storeFile: string
}

export interface RuntimeConfigChange {
  file: string
  /** Labels whose table now points at a kvcloud store. */
  written: string[]
  /** Labels kvcloud left alone because the user configured them with another type (redis, ...). */
  keptUserEntries: Array<{label: string; type: string}>
  /** The user's own `type = "spin"` tables that now point at kvcloud's store instead (their data stays in `path`). */
  replacedUserEntries: Array<{label: string; path: string}>
  /** kvcloud tables removed (after an unlink). */
  removed: string[]
  /** False when the file already said exactly this. */
  changed: boolean
}

/** A backend that keeps stores as files Spin can open (the local one). */
export interface StoreFileBackend extends Backend {
  storeFilePath(name: string): string
  runtimeConfigLocation(app: string): Promise<RuntimeConfigLocation | undefined>
  rememberRuntimeConfig(app: string, location: RuntimeConfigLocation): Promise<void>
  /**
   * Runs `work` with the app as it is now (undefined once deleted) while no other kvcloud of
   * this home can change apps or links, so a runtime config written from it is never stale.
   */
  withAppsHeld<T>(app: string, work: (now: {app?: AppInfo; location?: RuntimeConfigLocation}) => T): T
}

export function hasStoreFiles(backend: Backend): backend is StoreFileBackend {
  return backend.kind === 'local' && typeof (backend as Partial<StoreFileBackend>).storeFilePath === 'function'
}

/** `--runtime-config FILE` (relative to `cwd`), else runtime-config.toml beside the manifest. */
export function runtimeConfigPath(manifestFile: string, flag: string | undefined, cwd: string = process.cwd()): string {
  return flag === undefined ? join(dirname(manifestFile), DEFAULT_RUNTIME_CONFIG_NAME) : resolve(cwd, flag)
}

/** Parses an existing runtime config; a broken one is reported with its line, and nothing is written. */
export function parseRuntimeConfig(text: string, file: string): TomlTable {
  try {
    return parse(text) as TomlTable
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '')
      throw new InvalidInputError(`Invalid runtime config ${file}, line ${error.line}: not valid TOML (${reason}).`, [
        'Fix the file (kvcloud keeps your own entries in it), or pass --runtime-config with another file.',
      ])
    }
    throw error
  }
}

/**
 * The path Spin should open. Relative (with "/" separators) only when the store file sits inside
 * the runtime config's folder, so the project can move with its data; otherwise absolute, so
 * moving the project never breaks a path that climbs out of it into kvcloud's data folder.
 */
export function storePathFor(runtimeConfigFile: string, storeFile: string): string {
  const fromDir = relative(dirname(runtimeConfigFile), storeFile)
  if (fromDir === '' || isAbsolute(fromDir) || fromDir === '..' || fromDir.startsWith('..' + sep)) return storeFile
  return fromDir.split(sep).join('/')
}

/**
 * The new text of a runtime config. Pure. `entries` are written (or rewritten); `remove` drops the
 * tables kvcloud wrote for those labels. A label the user configured with another store type is
 * kept as the user wrote it.
 */
export function renderRuntimeConfig(
  existing: string | undefined,
  file: string,
  entries: readonly RuntimeConfigEntry[],
  remove: readonly string[] = [],
): {text: string; change: RuntimeConfigChange} {
  const original = existing ?? ''
  const doc = existing === undefined ? {} : parseRuntimeConfig(existing, file)
  const stores = isTomlTable(doc.key_value_store) ? doc.key_value_store : {}
  const change: RuntimeConfigChange = {file, written: [], keptUserEntries: [], replacedUserEntries: [], removed: [], changed: false}
  const chunks = splitChunks(original)
  let rewriteWhole = false
  const expected: TomlTable = {}

  for (const label of remove) {
    const chunk = chunks.find((candidate) => candidate.label === label)
    if (chunk && chunk.body.some((line) => line.trim().startsWith(MARKER))) {
      chunk.body = []
      chunk.label = undefined
      // The blank line that separated it goes too; the user's trailing comments stay.
      while (chunk.tail.length > 0 && chunk.tail[0]!.trim() === '') chunk.tail.shift()
      change.removed.push(label)
    }
  }

  for (const entry of entries) {
    const current = stores[entry.label]
    if (isTomlTable(current) && typeof current.type === 'string' && current.type !== 'spin') {
      change.keptUserEntries.push({label: entry.label, type: current.type})
      continue
    }
    const value = {type: 'spin', path: storePathFor(file, entry.storeFile)}
    expected[entry.label] = value
    change.written.push(entry.label)
    const block = renderTable(entry, value)
    const chunk = chunks.find((candidate) => candidate.label === entry.label)
    const ours = chunk?.body.some((line) => line.trim().startsWith(MARKER)) ?? false
    if (!ours && isTomlTable(current) && typeof current.path === 'string' && current.path !== value.path) {
      change.replacedUserEntries.push({label: entry.label, path: current.path})
    }
    if (chunk) {
      chunk.body = block
    } else if (current !== undefined) {
      // Defined inline or with dotted keys: too many shapes to edit as text.
      rewriteWhole = true
    } else {
      const last = chunks.at(-1)
      const lastLine = last ? (last.tail.at(-1) ?? last.body.at(-1)) : undefined
      if (last && lastLine !== undefined && lastLine.trim() !== '') last.tail.push('')
      chunks.push({label: entry.label, body: block, tail: []})
    }
  }

  const lines = joinChunks(chunks)
  while (change.removed.length > 0 && lines.length > 0 && lines.at(-1)!.trim() === '') lines.pop()
  let text = lines.length === 0 ? '' : lines.join('\n') + '\n'
  // An edit is checked by parsing its result; an unchanged text was valid and already said this.
  if (rewriteWhole || (text !== original && !matches(text, expected, change.removed))) {
    const merged: TomlTable = {...doc, key_value_store: {...stores, ...expected}}
    for (const label of change.removed) delete (merged.key_value_store as TomlTable)[label]
    text = stringify(merged) + '\n'
  }
  change.changed = text !== original
  return {text, change}
}

function renderTable(entry: RuntimeConfigEntry, value: {type: string; path: string}): string[] {
  const key = /^[A-Za-z0-9_-]+$/.test(entry.label) ? entry.label : JSON.stringify(entry.label)
  return [
    `[key_value_store.${key}]`,
    `${MARKER}: key value store "${entry.store}". kvcloud deploy and kvcloud link rewrite this table.`,
    ...stringify(value).split('\n').filter((line) => line !== ''),
  ]
}

/**
 * The file as a list of chunks, each a table header with its keys (`body`) and the comments and
 * blank lines after its last key (`tail`, kept as the user wrote them). The first chunk holds
 * what comes before any header. `label` is set for `[key_value_store.LABEL]` headers.
 */
interface Chunk {
  label?: string
  body: string[]
  tail: string[]
}

const ANY_HEADER = /^\s*\[/
const STORE_HEADER = /^\s*\[\s*key_value_store\s*\.\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*\]\s*(?:#.*)?$/
const COMMENT_OR_BLANK = /^\s*(?:#.*)?$/

function splitChunks(text: string): Chunk[] {
  if (text === '') return []
  const lines = text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n')
  const chunks: Chunk[] = []
  let current: Chunk = {body: [], tail: []}
  const close = () => {
    // Comments and blank lines after the last key belong to whatever the user wrote next.
    let end = current.body.length
    while (end > 1 && COMMENT_OR_BLANK.test(current.body[end - 1]!)) end--
    if (current.label !== undefined || current.body.length > 0) {
      chunks.push({label: current.label, body: current.body.slice(0, end), tail: current.body.slice(end)})
    }
  }
  for (const line of lines) {
    if (ANY_HEADER.test(line)) {
      close()
      const match = STORE_HEADER.exec(line)
      current = {label: match ? unquoteKey(match[1]!) : undefined, body: [line], tail: []}
    } else {
      current.body.push(line)
    }
  }
  close()
  return chunks
}

function unquoteKey(key: string): string {
  if (key.startsWith('"')) {
    try {
      return JSON.parse(key) as string
    } catch {
      return key
    }
  }
  return key.startsWith("'") ? key.slice(1, -1) : key
}

function joinChunks(chunks: Chunk[]): string[] {
  return chunks.flatMap((chunk) => [...chunk.body, ...chunk.tail])
}

/** Checks that an edited text says what was intended; if not, the caller rewrites the whole file. */
function matches(text: string, expected: TomlTable, removed: string[]): boolean {
  let doc: TomlTable
  try {
    doc = parse(text) as TomlTable
  } catch {
    return false
  }
  const stores = isTomlTable(doc.key_value_store) ? doc.key_value_store : {}
  for (const [label, value] of Object.entries(expected)) {
    const actual = stores[label]
    if (!isTomlTable(actual) || JSON.stringify(actual) !== JSON.stringify(value)) return false
  }
  return removed.every((label) => !(label in stores))
}

async function readRuntimeConfigText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new UnavailableError(`Cannot read the runtime config ${file}: ${(error as Error).message}`)
  }
}

/** Reads the current file (undefined when it does not exist yet) and checks that it parses. */
export async function readRuntimeConfig(file: string): Promise<string | undefined> {
  const text = await readRuntimeConfigText(file)
  if (text !== undefined) parseRuntimeConfig(text, file)
  return text
}

/**
 * Applies entries and removals to the file on disk, atomically: the new text goes to a temporary
 * file created exclusively beside the real file (a planted symlink is never followed), which then
 * replaces it. A runtime config that is a symlink is edited where it points, so the link stays.
 * Synchronous, so callers can hold kvcloud's catalog lock around reading the links and writing.
 */
export function updateRuntimeConfig(
  file: string,
  entries: readonly RuntimeConfigEntry[],
  remove: readonly string[] = [],
): RuntimeConfigChange {
  const target = realTarget(file)
  const existing = readTextIfAny(target)
  // renderRuntimeConfig parses it, and refuses a broken file before anything is written.
  const {text, change} = renderRuntimeConfig(existing, file, entries, remove)
  if (!change.changed) return change
  if (!existsSync(dirname(target))) {
    throw new InvalidInputError(`Cannot write the runtime config ${file}: the folder ${dirname(target)} does not exist.`, [
      'Create the folder first, or pass --runtime-config with a file in an existing folder.',
    ])
  }
  const temporary = `${target}.kvcloud-${process.pid}-${randomBytes(4).toString('hex')}.tmp`
  try {
    const mode = existing === undefined ? 0o644 : statSync(target).mode & 0o777
    const fd = openSync(temporary, 'wx', mode)
    try {
      writeFileSync(fd, text)
    } finally {
      closeSync(fd)
    }
    renameSync(temporary, target)
  } catch (error) {
    try {
      rmSync(temporary, {force: true})
    } catch {
      // Never made (a name too long, a folder gone): nothing to remove.
    }
    // The system's message without the temporary file's name ("ENAMETOOLONG: name too long, open '...'").
    const reason = (error as Error).message.replace(/, \w+ '[^']*'$/, '')
    throw new UnavailableError(`Cannot write the runtime config ${file}: ${reason}`)
  }
  return change
}

/** The file a path names, following symlinks (a runtime config kept elsewhere and linked in). */
function realTarget(file: string): string {
  try {
    return lstatSync(file).isSymbolicLink() ? realpathSync(file) : file
  } catch {
    return file
  }
}

function readTextIfAny(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new UnavailableError(`Cannot read the runtime config ${file}: ${(error as Error).message}`)
  }
}

/** The `spin up` line to copy, with paths relative to `cwd` when that is shorter. */
export function spinUpCommand(manifestFile: string, runtimeConfigFile: string, cwd: string = process.cwd()): string {
  const show = (path: string) => {
    const rel = relative(cwd, path)
    return rel !== '' && !isAbsolute(rel) && rel.length < path.length ? rel : path
  }
  const parts = ['spin', 'up']
  if (resolve(dirname(manifestFile)) !== resolve(cwd) || !manifestFile.endsWith('spin.toml')) parts.push('-f', shellQuote(show(manifestFile)))
  parts.push('--runtime-config-file', shellQuote(show(runtimeConfigFile)))
  return parts.join(' ')
}

/** Where deploy wrote an app's runtime config, and the manifest it was deployed from. */
export interface RuntimeConfigLocation {
  runtimeConfig: string
  manifest: string
}
