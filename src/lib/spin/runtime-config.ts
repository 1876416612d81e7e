// Spin's runtime config file, as kvcloud edits it: one `[TABLE.LABEL] type = "spin" path = "..."`
// table per linked label (TABLE is key_value_store for key value stores, sqlite_database for
// SQLite databases), pointing at kvcloud's file in Spin's own format. Only the tables kvcloud
// writes are touched; the rest of the user's file, comments included, stays as it was. Pure: the
// file I/O is in runtime-config-file.ts, the `spin up` line in spin-up.ts.

import {dirname, isAbsolute, join, relative, resolve, sep} from 'node:path'
import {parse, stringify, TomlError} from 'smol-toml'
import {InvalidInputError} from '../errors.js'
import {isTomlTable, type TomlTable} from './toml-table.js'

export const DEFAULT_RUNTIME_CONFIG_NAME = 'runtime-config.toml'

/** The marker kvcloud puts in the tables it manages, so it can tell them from the user's own. */
const MARKER = '# Managed by kvcloud'

/** The runtime config tables kvcloud writes: Spin's key value stores and its SQLite databases. */
export type RuntimeConfigTable = 'key_value_store' | 'sqlite_database'

/** What the marker comment of each table calls the thing it points at. */
const TABLE_NOUNS: Record<RuntimeConfigTable, string> = {
  key_value_store: 'key value store',
  sqlite_database: 'SQLite database',
}

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
 * The new text of a runtime config. Pure. `entries` are written (or rewritten) as `[table.LABEL]`
 * tables (key_value_store unless told); `remove` drops the tables kvcloud wrote for those labels.
 * A label the user configured with another store type is kept as the user wrote it.
 */
export function renderRuntimeConfig(
  existing: string | undefined,
  file: string,
  entries: readonly RuntimeConfigEntry[],
  remove: readonly string[] = [],
  table: RuntimeConfigTable = 'key_value_store',
): {text: string; change: RuntimeConfigChange} {
  const original = existing ?? ''
  const doc = existing === undefined ? {} : parseRuntimeConfig(existing, file)
  const stores = isTomlTable(doc[table]) ? doc[table] : {}
  const change: RuntimeConfigChange = {file, written: [], keptUserEntries: [], replacedUserEntries: [], removed: [], changed: false}
  const chunks = splitChunks(original, table)
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
    const block = renderTable(table, entry, value)
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
  if (rewriteWhole || (text !== original && !matches(text, table, expected, change.removed))) {
    const merged: TomlTable = {...doc, [table]: {...stores, ...expected}}
    for (const label of change.removed) delete (merged[table] as TomlTable)[label]
    text = stringify(merged) + '\n'
  }
  change.changed = text !== original
  return {text, change}
}

function renderTable(table: RuntimeConfigTable, entry: RuntimeConfigEntry, value: {type: string; path: string}): string[] {
  const key = /^[A-Za-z0-9_-]+$/.test(entry.label) ? entry.label : JSON.stringify(entry.label)
  return [
    `[${table}.${key}]`,
    `${MARKER}: ${TABLE_NOUNS[table]} "${entry.store}". kvcloud deploy and kvcloud link rewrite this table.`,
    ...stringify(value).split('\n').filter((line) => line !== ''),
  ]
}

/**
 * The file as a list of chunks, each a table header with its keys (`body`) and the comments and
 * blank lines after its last key (`tail`, kept as the user wrote them). The first chunk holds
 * what comes before any header. `label` is set for `[TABLE.LABEL]` headers of the table edited.
 */
interface Chunk {
  label?: string
  body: string[]
  tail: string[]
}

const ANY_HEADER = /^\s*\[/
const COMMENT_OR_BLANK = /^\s*(?:#.*)?$/

/** `[TABLE.LABEL]`, the label bare or quoted, with an optional comment after it. */
function labelHeader(table: RuntimeConfigTable): RegExp {
  return new RegExp(`^\\s*\\[\\s*${table}\\s*\\.\\s*("(?:[^"\\\\]|\\\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\\s*\\]\\s*(?:#.*)?$`)
}

function splitChunks(text: string, table: RuntimeConfigTable): Chunk[] {
  const labelHeaderOfTable = labelHeader(table)
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
      const match = labelHeaderOfTable.exec(line)
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
function matches(text: string, table: RuntimeConfigTable, expected: TomlTable, removed: string[]): boolean {
  let doc: TomlTable
  try {
    doc = parse(text) as TomlTable
  } catch {
    return false
  }
  const stores = isTomlTable(doc[table]) ? doc[table] : {}
  for (const [label, value] of Object.entries(expected)) {
    const actual = stores[label]
    if (!isTomlTable(actual) || JSON.stringify(actual) !== JSON.stringify(value)) return false
  }
  return removed.every((label) => !(label in stores))
}
