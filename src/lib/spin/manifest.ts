import levenshtein from 'fast-levenshtein'
import {parse, TomlError} from 'smol-toml'
import type {ComponentInfo} from './component.js'
import {InvalidInputError} from '../errors.js'
import {APP_NAME_RULE, isSpinId, isValidAppName, isValidLabel, LABEL_RULE} from '../validation.js'
import {isTomlTable, type TomlTable} from './toml-table.js'

export type {ComponentInfo}

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

// The fields Spin's manifest structs declare (spin crates/manifest/src/schema/v1.rs and v2.rs, all
// `deny_unknown_fields`): Spin refuses a manifest with any other, and so does kvcloud, since a
// misspelt `key_value_store = [...]` would otherwise deploy an app with no labels.
const V1_APP_FIELDS = ['spin_manifest_version', 'spin_version', 'name', 'version', 'description', 'authors', 'trigger', 'variables', 'component']
const V1_COMPONENT_FIELDS = [
  'id', 'source', 'trigger', 'description', 'config', 'environment', 'files', 'exclude_files', 'allowed_http_hosts',
  'allowed_outbound_hosts', 'key_value_stores', 'sqlite_databases', 'ai_models', 'build',
]
const V2_TOP_FIELDS = ['spin_manifest_version', 'application', 'variables', 'trigger', 'component']
const V2_APPLICATION_FIELDS = ['name', 'version', 'description', 'authors', 'targets', 'trigger', 'tool']
const V2_COMPONENT_FIELDS = [
  'source', 'description', 'variables', 'environment', 'files', 'exclude_files', 'allowed_http_hosts', 'allowed_outbound_hosts',
  'key_value_stores', 'sqlite_databases', 'ai_models', 'targets', 'build', 'tool', 'dependencies_inherit_configuration',
  'dependencies', 'profile',
]

/** Refuses a field Spin does not know, naming it, where it is, and the field it most likely meant. */
function checkFields(table: TomlTable, known: readonly string[], where: string, file: string, locate: Locator, headerLine?: number): void {
  for (const field of Object.keys(table)) {
    if (known.includes(field)) continue
    const closest = known
      .map((candidate) => ({candidate, distance: levenshtein.get(field, candidate)}))
      .sort((a, b) => a.distance - b.distance)[0]
    const hint = closest && closest.distance <= 3 ? ` Did you mean "${closest.candidate}"?` : ''
    throw new ManifestError(file, `unknown field "${field}" in ${where}; Spin refuses fields it does not know.${hint}`, {
      line: locate.key(field) ?? headerLine,
      hints: [`The fields of ${where} are: ${known.join(', ')}.`],
    })
  }
}

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
  // As Spin's ManifestVersion::detect: v1 is the string "1", v2 the integer 2. Spin refuses the
  // string "2" (and the integer 1), so kvcloud does too rather than deploy what spin up rejects.
  if (value === '1') return 1
  if (key === 'spin_manifest_version' && (value === 2 || value === 2n)) return 2
  if (value === '2' || value === 1 || value === 1n) {
    const right = value === '2' ? 'spin_manifest_version = 2 (an integer, no quotes)' : 'spin_manifest_version = "1" (a string)'
    throw new ManifestError(file, `${key} = ${JSON.stringify(typeof value === 'bigint' ? Number(value) : value)} is refused by Spin; write ${right}.`, {
      line: locate.key(key),
    })
  }
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
  checkFields(doc, V1_APP_FIELDS, 'the manifest', file, locate)
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
      checkFields(entry, V1_COMPONENT_FIELDS, `component "${id}"`, file, locate, locate.nthArrayHeader('component', index))
      components.push(readComponent(entry, v1ComponentId(id, file, locate), `component "${id}"`, file, locate))
    })
  }
  return {...fields, components}
}

/**
 * Spin turns a v1 component id into a v2 one (crates/manifest/src/compat.rs): kept when it is
 * already kebab-case, else "_" becomes "-" and letters go lower-case; what is still no id is refused.
 */
function v1ComponentId(id: string, file: string, locate: Locator): string {
  if (isSpinId(id, '-')) return id
  const converted = id.replaceAll('_', '-').toLowerCase()
  if (isSpinId(converted, '-')) return converted
  throw new ManifestError(file, `invalid component id "${id}". ${COMPONENT_ID_RULE}`, {line: locate.quoted(id)})
}

const COMPONENT_ID_RULE =
  'A component id is kebab-case: words of ASCII letters and digits joined by "-", each starting with a letter and all lower- or all upper-case (e.g. "web", "MY-COMP").'

function readV2(doc: TomlTable, file: string, locate: Locator): CommonFields {
  checkFields(doc, V2_TOP_FIELDS, 'the manifest', file, locate)
  if (doc.trigger === undefined) {
    throw new ManifestError(file, 'no trigger. Spin refuses a version 2 manifest without one: add a [[trigger.TYPE]] table, e.g. [[trigger.http]] route = "/..." component = "NAME".', {
      hints: ['The field "trigger" is missing.'],
    })
  }
  const application = doc.application
  if (application === undefined) {
    throw new ManifestError(file, 'no [application] table; a version 2 manifest names the app in [application] name = "...".')
  }
  if (!isTomlTable(application)) {
    throw new ManifestError(file, `"application" must be a table, found ${describeType(application)}.`, {line: locate.key('application')})
  }
  checkFields(application, V2_APPLICATION_FIELDS, '[application]', file, locate, locate.header('application'))
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
      if (!isSpinId(id, '-')) {
        throw new ManifestError(file, `invalid component id "${id}". ${COMPONENT_ID_RULE}`, {
          line: locate.header(`component.${id}`),
        })
      }
      if (!isTomlTable(entry)) {
        throw new ManifestError(file, `component "${id}" must be a table, found ${describeType(entry)}.`, {line: locate.header(`component.${id}`)})
      }
      checkFields(entry, V2_COMPONENT_FIELDS, `component "${id}"`, file, locate, locate.header(`component.${id}`))
      components.push(readComponent(entry, id, `component "${id}"`, file, locate))
    }
  }
  components.push(...readInlineTriggerComponents(doc, file, locate))
  return {...fields, components}
}

/**
 * v2 triggers may define components inline: `component = { source = ..., key_value_stores = [...] }`,
 * and trigger-specific extra components in `components = { NAME = <id or inline table, or a list
 * of them> }` (Spin's `Trigger.components`). Inline ones open stores too, so their labels count.
 */
function readInlineTriggerComponents(doc: TomlTable, file: string, locate: Locator): ComponentInfo[] {
  const triggers = doc.trigger
  if (!isTomlTable(triggers)) return []
  const components: ComponentInfo[] = []
  for (const [type, list] of Object.entries(triggers)) {
    if (!Array.isArray(list)) continue
    list.forEach((trigger, index) => {
      if (!isTomlTable(trigger)) return
      const base = typeof trigger.id === 'string' ? trigger.id : `${type}-trigger-${index + 1}`
      const where = `trigger.${type} number ${index + 1}`
      const inline = (spec: unknown, id: string, what: string) => {
        if (!isTomlTable(spec)) return
        checkFields(spec, V2_COMPONENT_FIELDS, what, file, locate)
        components.push(readComponent(spec, id, what, file, locate))
      }
      inline(trigger.component, base, `the inline component of ${where}`)
      if (isTomlTable(trigger.components)) {
        for (const [name, specs] of Object.entries(trigger.components)) {
          const all = Array.isArray(specs) ? specs : [specs]
          all.forEach((spec, n) => inline(spec, all.length === 1 ? `${base}-${name}` : `${base}-${name}-${n + 1}`, `components.${name} of ${where}`))
        }
      }
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
  if (!isValidAppName(name)) {
    throw new ManifestError(file, `invalid app name ${JSON.stringify(name)} in ${prefix}name. ${APP_NAME_RULE}.`, {line: locate.key('name')})
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
