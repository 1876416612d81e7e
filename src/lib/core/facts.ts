// The core's failures, each written once: a message, the fact behind it (ErrorFact) and,
// for now, the advice the CLI shows with it.

import {ConflictError, InvalidInputError, NotFoundError, UnavailableError} from '../errors.js'
import {commandLine} from '../cli-name.js'
import type {ResourceKind} from './ports.js'

/** How messages name a resource of each kind. */
export const NOUN: Record<ResourceKind, string> = {'key-value': 'key value store', sqlite: 'SQLite database'}

const noun = (kind: ResourceKind): string => NOUN[kind]
const capitalised = (kind: ResourceKind): string => noun(kind).charAt(0).toUpperCase() + noun(kind).slice(1)

function withFact<E extends NotFoundError | ConflictError | InvalidInputError | UnavailableError>(error: E, fact: E['fact']): E {
  error.fact = fact
  return error
}

export function resourceNotFound(kind: ResourceKind, name: string): NotFoundError {
  return withFact(new NotFoundError(`No ${noun(kind)} found with name "${name}"`, [`Run "${commandLine('kv list')}" to see your stores.`]), {
    code: 'resource-not-found', kind, name,
  })
}

/** A link or deploy names a resource that is not there (the incumbent's wording). */
export function linkTargetMissing(kind: ResourceKind, name: string, hints = true): NotFoundError {
  return withFact(new NotFoundError(`${capitalised(kind)} "${name}" does not exist`, hints
    ? [`Run "${commandLine('kv list')}" to see your stores, or "${commandLine(`kv create ${name}`)}" to make it.`]
    : []), {code: 'resource-not-found', kind, name})
}

export function resourceExists(kind: ResourceKind, name: string): ConflictError {
  return withFact(new ConflictError(`${capitalised(kind)} "${name}" already exists`, [
    `Choose another name, or run "${commandLine('kv list')}" to see your stores.`,
  ]), {code: 'resource-exists', kind, name})
}

export function resourceDeletedMeanwhile(kind: ResourceKind, name: string): NotFoundError {
  return withFact(new NotFoundError(`${capitalised(kind)} "${name}" was deleted meanwhile`), {code: 'resource-not-found', kind, name})
}

export function storeDeletedDuringImport(name: string): NotFoundError {
  return withFact(new NotFoundError(`Key value store "${name}" was deleted while the import ran; nothing was imported.`), {
    code: 'resource-not-found', kind: 'key-value', name,
  })
}

export function keyNotFound(store: string, key: string): NotFoundError {
  return withFact(new NotFoundError(`Key "${key}" not found in key value store "${store}"`, [
    `Run "${commandLine(`kv keys --store ${store}`)}" to see its keys.`,
  ]), {code: 'key-not-found', store, key})
}

export function appNotFound(app: string): NotFoundError {
  return withFact(new NotFoundError(`Could not find app '${app}'`, [
    `Run "${commandLine('apps list')}" to see your apps; an app comes into being with "${commandLine('deploy')}".`,
  ]), {code: 'app-not-found', app})
}

export function labelNotLinked(app: string, kind: ResourceKind, label: string): NotFoundError {
  return withFact(new NotFoundError(`No ${noun(kind)} found with label "${label}" for app "${app}"`, [
    `Run "${commandLine(`apps info ${app}`)}" to see its links.`,
  ]), {code: 'label-not-linked', app, kind, label})
}

export function labelLinkedElsewhere(app: string, kind: ResourceKind, label: string, linkedTo: string, wanted: string): ConflictError {
  return withFact(new ConflictError(`App "${app}"'s "${label}" label is currently linked to "${linkedTo}"`, [
    `Pass --yes to link it to ${noun(kind)} "${wanted}" instead.`,
  ]), {code: 'label-linked-elsewhere', app, kind, label, linkedTo, wanted})
}

/** A link for a label no component of the app declares (most likely a typo). */
export function labelUndeclared(app: string, kind: ResourceKind, label: string, declared: string[]): InvalidInputError {
  const table = kind === 'key-value' ? 'key_value_stores' : 'sqlite_databases'
  return withFact(new InvalidInputError(
    `App "${app}" does not use the label "${label}": no component declares it in ${table}` +
      (declared.length > 0 ? ` (its labels: ${declared.join(', ')}).` : ' (it declares no labels).'),
    ['Check the spelling, or pass --allow-undeclared to link it anyway.'],
  ), {code: 'label-undeclared', app, kind, label, declared})
}

export function labelLinkedTwice(label: string): InvalidInputError {
  return withFact(new InvalidInputError(`Label ${label} is linked more than once`, ['Pass one --link per label.']), {code: 'label-linked-twice', label})
}

export function labelsUnlinked(labels: string[]): InvalidInputError {
  return withFact(new InvalidInputError(`No link specified for label${labels.length > 1 ? 's' : ''} ${labels.map((l) => `'${l}'`).join(', ')}`), {
    code: 'labels-unlinked', labels,
  })
}

/** Seeding writes to the store linked as `default`, so the app must declare that label. */
export function noSeedLabel(app: string, seedLabel: string, declared: string[], manifestFile?: string): InvalidInputError {
  const where = manifestFile ?? `app "${app}"`
  return withFact(new InvalidInputError(
    `--key-value writes to the key value store linked with the label "${seedLabel}", and no component in ${where} declares that label` +
      (declared.length > 0 ? ` (its labels: ${declared.join(', ')}).` : ' (it declares no key value store labels).'),
    [`Add "${seedLabel}" to a component's key_value_stores, or after deploying run "${commandLine(`kv set --app ${app} --label LABEL KEY=VALUE`)}".`],
  ), {code: 'no-seed-label', app, declared})
}

export function invalidCursor(cursor: string): InvalidInputError {
  return withFact(new InvalidInputError(`Invalid cursor "${cursor}". Pass the "next" value of a previous listing.`), {code: 'invalid-cursor', cursor})
}

export function linksKeptChanging(label: string): UnavailableError {
  return withFact(new UnavailableError(`Other kvcloud commands kept changing the links of this store while label "${label}" was being linked; nothing was linked.`, [
    'Run the command again once they have finished.',
  ]), {code: 'links-kept-changing', label})
}
