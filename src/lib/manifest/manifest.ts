import {parse, TomlError} from 'smol-toml'
import type {ComponentInfo} from '../backend.js'
import {InvalidInputError} from '../errors.js'
import {isValidLabel, LABEL_RULE} from '../validation.js'
import {isTomlTable, type TomlTable} from '../toml-table.js'

/** What kvcloud needs from a Spin manifest, for either manifest version. */
export interface SpinManifest {
  /** Absolute path of the file read. */
  file: string
  manifestVersion: 1 | 2
  name: string
  version?: string
  description?: string
  /** In file order: `[[component]]` order for v1, table order for v2, then inline trigger components. */
  components: ComponentInfo[]
  /** Sorted union of every component's `key_value_stores`, so questions come in the same order every run. */
  keyValueLabels: string[]
  /** Sorted union of every component's `sqlite_databases`; kept in the model, not linked yet. */
  sqliteLabels: string[]
}

/** A manifest kvcloud cannot use. The message names the file, the line when known, and what is wrong. */
export class ManifestError extends InvalidInputError {
  readonly file: string
  readonly line?: number

  constructor(file: string, problem: string, options: {line?: number; hints?: string[]} = {}) {
    const where = options.line === undefined ? file : `${file}, line ${options.line}`
    super(`Invalid Spin manifest ${where}: ${problem}`, options.hints ?? [])
    this.file = file
    this.line = options.line
  }
}

const KEBAB_ID = /^[a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)*$/

/**
 * Reads the parts of a Spin manifest (v1 or v2) that kvcloud uses. Pure: `file` is only used in
 * messages. Everything else in the manifest (sources, triggers, variables, build) is left to Spin.
 */
export function parseManifest(text: string, file: string): SpinManifest {
  let doc: TomlTable
  try {
    doc = parse(text) as TomlTable
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '')
      throw new ManifestError(file, `not valid TOML (${reason}, column ${error.column}).`, {
        line: error.line,
        hints: error.codeblock.replace(/\n+$/, '').split('\n'),
      })
    }
    throw error
  }
  const locate = new Locator(text)
  const manifestVersion = detectVersion(doc, file, locate)
  const common = manifestVersion === 1 ? readV1(doc, file, locate) : readV2(doc, file, locate)
  const union = (pick: (component: ComponentInfo) => string[]) =>
    [...new Set(common.components.flatMap(pick))].sort(compareText)
  return {
    file,
    manifestVersion,
    ...common,
    keyValueLabels: union((component) => component.keyValueStores),
    sqliteLabels: union((component) => component.sqliteDatabases),
  }
}

/** Plain code-unit order: the same on every machine and locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function detectVersion(doc: TomlTable, file: string, locate: Locator): 1 | 2 {
  const key = 'spin_manifest_version' in doc ? 'spin_manifest_version' : 'spin_version' in doc ? 'spin_version' : undefined
  const supported = 'kvcloud reads spin_manifest_version = "1" (or the older spin_version = "1") and spin_manifest_version = 2'
  if (key === undefined) {
    throw new ManifestError(file, `no spin_manifest_version. ${supported}.`)
  }
  const value = doc[key]
  // v1 wrote the version as a string; v2 as an integer (Spin also accepts the string "2").
  if (value === '1') return 1
  if (key === 'spin_manifest_version' && (value === 2 || value === 2n || value === '2')) return 2
  throw new ManifestError(file, `unknown manifest version ${key} = ${JSON.stringify(typeof value === 'bigint' ? Number(value) : value)}. ${supported}.`, {
    line: locate.key(key),
  })
}

interface CommonFields {
  name: string
  version?: string
  description?: string
  components: ComponentInfo[]
}

function readV1(doc: TomlTable, file: string, locate: Locator): CommonFields {
  const fields = readAppFields(doc, '', file, locate)
  const components: ComponentInfo[] = []
  const raw = doc.component
  if (raw !== undefined) {
    if (!Array.isArray(raw)) {
      throw new ManifestError(file, `"component" must be an array of tables ([[component]]), found ${describeType(raw)}.`, {
        line: locate.key('component') ?? locate.header('component'),
      })
    }
    raw.forEach((entry, index) => {
      if (!isTomlTable(entry)) {
        throw new ManifestError(file, `component number ${index + 1} must be a table, found ${describeType(entry)}.`)
      }
      const id = entry.id
      if (typeof id !== 'string' || id === '') {
        throw new ManifestError(file, `component number ${index + 1} has no "id" (a string).`, {line: locate.nthArrayHeader('component', index)})
      }
      components.push(readComponent(entry, id, `component "${id}"`, file, locate))
    })
  }
  return {...fields, components}
}

function readV2(doc: TomlTable, file: string, locate: Locator): CommonFields {
  const application = doc.application
  if (application === undefined) {
    throw new ManifestError(file, 'no [application] table; a version 2 manifest names the app in [application] name = "...".')
  }
  if (!isTomlTable(application)) {
    throw new ManifestError(file, `"application" must be a table, found ${describeType(application)}.`, {line: locate.key('application')})
  }
  const fields = readAppFields(application, 'application.', file, locate)
  const components: ComponentInfo[] = []
  const raw = doc.component
  if (raw !== undefined) {
    if (!isTomlTable(raw)) {
      throw new ManifestError(file, `"component" must be a table of components ([component.NAME]), found ${describeType(raw)}.`, {
        line: locate.key('component') ?? locate.header('component'),
      })
    }
    for (const [id, entry] of Object.entries(raw)) {
      if (!KEBAB_ID.test(id)) {
        throw new ManifestError(file, `invalid component id "${id}". A component id is kebab-case: lower-case words of letters and digits, each starting with a letter, joined by "-".`, {
          line: locate.header(`component.${id}`),
        })
      }
      if (!isTomlTable(entry)) {
        throw new ManifestError(file, `component "${id}" must be a table, found ${describeType(entry)}.`, {line: locate.header(`component.${id}`)})
      }
      components.push(readComponent(entry, id, `component "${id}"`, file, locate))
    }
  }
  components.push(...readInlineTriggerComponents(doc, file, locate))
  return {...fields, components}
}

/** v2 triggers may define their component inline (`component = { source = ..., key_value_stores = [...] }`). */
function readInlineTriggerComponents(doc: TomlTable, file: string, locate: Locator): ComponentInfo[] {
  const triggers = doc.trigger
  if (!isTomlTable(triggers)) return []
  const components: ComponentInfo[] = []
  for (const [type, list] of Object.entries(triggers)) {
    if (!Array.isArray(list)) continue
    list.forEach((trigger, index) => {
      if (!isTomlTable(trigger) || !isTomlTable(trigger.component)) return
      const id = typeof trigger.id === 'string' ? trigger.id : `${type}-trigger-${index + 1}`
      components.push(readComponent(trigger.component, id, `the inline component of trigger.${type} number ${index + 1}`, file, locate))
    })
  }
  return components
}

function readAppFields(table: TomlTable, prefix: string, file: string, locate: Locator): Omit<CommonFields, 'components'> {
  const where = prefix === '' ? 'a top-level name = "..."' : '[application] name = "..."'
  if (table.name === undefined) {
    throw new ManifestError(file, `the app has no name; add ${where}.`)
  }
  const name = readString(table, 'name', prefix, file, locate)!
  if (name.trim() === '') {
    throw new ManifestError(file, `the app name is empty; set ${where}.`, {line: locate.key('name')})
  }
  return {
    name,
    version: readString(table, 'version', prefix, file, locate),
    description: readString(table, 'description', prefix, file, locate),
  }
}

function readString(table: TomlTable, key: string, prefix: string, file: string, locate: Locator): string | undefined {
  const value = table[key]
  if (value === undefined || typeof value === 'string') return value
  throw new ManifestError(file, `"${prefix}${key}" must be a string, found ${describeType(value)}.`, {line: locate.key(key)})
}

function readComponent(entry: TomlTable, id: string, what: string, file: string, locate: Locator): ComponentInfo {
  return {
    id,
    keyValueStores: readLabels(entry, 'key_value_stores', what, file, locate),
    sqliteDatabases: readLabels(entry, 'sqlite_databases', what, file, locate),
  }
}

function readLabels(entry: TomlTable, key: string, what: string, file: string, locate: Locator): string[] {
  const value = entry[key]
  if (value === undefined) return []
  if (!Array.isArray(value)) {
    throw new ManifestError(file, `${key} of ${what} must be an array of labels, e.g. ${key} = ["default"], found ${describeType(value)}.`, {
      line: locate.key(key),
    })
  }
  const labels: string[] = []
  for (const label of value) {
    if (typeof label !== 'string') {
      throw new ManifestError(file, `${key} of ${what} must hold only strings, found ${describeType(label)}.`, {line: locate.key(key)})
    }
    if (!isValidLabel(label)) {
      throw new ManifestError(file, `invalid label "${label}" in ${key} of ${what}. ${LABEL_RULE}.`, {line: locate.quoted(label)})
    }
    if (!labels.includes(label)) labels.push(label)
  }
  return labels.sort(compareText)
}

function describeType(value: unknown): string {
  if (Array.isArray(value)) return 'an array'
  if (isTomlTable(value)) return 'a table'
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${value}`
  if (typeof value === 'boolean') return `the boolean ${value}`
  if (value instanceof Date) return 'a date'
  return typeof value
}

/**
 * TOML parsers report lines for syntax errors only; for a well-formed file with a wrong value,
 * this finds the line by looking at the text. It answers only when the match is unambiguous.
 */
class Locator {
  private readonly lines: string[]

  constructor(text: string) {
    this.lines = text.split(/\r?\n/)
  }

  /** The line of `key = ...`, when exactly one line assigns that key. */
  key(key: string): number | undefined {
    const pattern = new RegExp(`^\\s*${escapeRegExp(key)}\\s*=`)
    return this.unique((line) => pattern.test(line))
  }

  /** The line of a `[name]` table header. */
  header(name: string): number | undefined {
    const pattern = new RegExp(`^\\s*\\[\\s*${name.split('.').map(escapeRegExp).join('\\s*\\.\\s*')}\\s*\\]`)
    return this.unique((line) => pattern.test(line))
  }

  /** The line of the n-th `[[name]]` header (0-based). */
  nthArrayHeader(name: string, index: number): number | undefined {
    const pattern = new RegExp(`^\\s*\\[\\[\\s*${escapeRegExp(name)}\\s*\\]\\]`)
    let seen = -1
    for (const [lineIndex, line] of this.lines.entries()) {
      if (pattern.test(line) && ++seen === index) return lineIndex + 1
    }
    return undefined
  }

  /** The line holding the string literal `"text"` or `'text'`, when exactly one does. */
  quoted(text: string): number | undefined {
    const double = JSON.stringify(text)
    const single = `'${text}'`
    return this.unique((line) => line.includes(double) || line.includes(single))
  }

  private unique(test: (line: string) => boolean): number | undefined {
    let found: number | undefined
    for (const [index, line] of this.lines.entries()) {
      if (!test(line)) continue
      if (found !== undefined) return undefined
      found = index + 1
    }
    return found
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
