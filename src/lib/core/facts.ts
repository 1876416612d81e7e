// The core's failures, each written once: a message and the fact behind it (ErrorFact), never
// advice. The CLI turns a fact into what to run next (cli/advice.ts); the server into an HTTP
// answer that carries the fact to the client.

import {ConflictError, InvalidInputError, NotFoundError, UnavailableError, type KvError} from '../errors.js'
import type {ResourceKind} from './ports.js'

/** How messages name a resource of each kind. */
export const NOUN: Record<ResourceKind, string> = {'key-value': 'key value store', sqlite: 'SQLite database'}

const noun = (kind: ResourceKind): string => NOUN[kind]
const capitalised = (kind: ResourceKind): string => noun(kind).charAt(0).toUpperCase() + noun(kind).slice(1)

/** The facts of the core's failures, by code: what the CLI's advice and the wire rely on. */
export type CoreFact =
  | {code: 'resource-not-found'; kind: ResourceKind; name: string}
  | {code: 'link-target-missing'; kind: ResourceKind; name: string}
  | {code: 'resource-exists'; kind: ResourceKind; name: string}
  | {code: 'resource-deleted'; kind: ResourceKind; name: string}
  | {code: 'key-not-found'; store: string; key: string}
  | {code: 'app-not-found'; app: string}
  | {code: 'label-not-linked'; app: string; kind: ResourceKind; label: string}
  | {code: 'label-linked-elsewhere'; app: string; kind: ResourceKind; label: string; linkedTo: string; wanted: string}
  | {code: 'label-undeclared'; app: string; kind: ResourceKind; label: string; declared: string[]; flag?: string}
  | {code: 'label-linked-twice'; label: string}
  | {code: 'labels-unlinked'; labels: string[]}
  | {code: 'no-seed-label'; app: string; label: string; declared: string[]}
  | {code: 'invalid-cursor'; cursor: string}
  | {code: 'links-kept-changing'; label: string}
  | {code: 'kind-not-linkable'; kind: ResourceKind}

export function withFact<E extends KvError>(error: E, fact: CoreFact): E {
  error.fact = fact
  return error
}

export function resourceNotFound(kind: ResourceKind, name: string): NotFoundError {
  return withFact(new NotFoundError(`No ${noun(kind)} found with name "${name}"`), {code: 'resource-not-found', kind, name})
}

/** A link or deploy names a resource that is not there (the incumbent's wording). */
export function linkTargetMissing(kind: ResourceKind, name: string): NotFoundError {
  return withFact(new NotFoundError(`${capitalised(kind)} "${name}" does not exist`), {code: 'link-target-missing', kind, name})
}

export function resourceExists(kind: ResourceKind, name: string): ConflictError {
  return withFact(new ConflictError(`${capitalised(kind)} "${name}" already exists`), {code: 'resource-exists', kind, name})
}

export function resourceDeletedMeanwhile(kind: ResourceKind, name: string): NotFoundError {
  return withFact(new NotFoundError(`${capitalised(kind)} "${name}" was deleted meanwhile`), {code: 'resource-deleted', kind, name})
}

export function storeDeletedDuringImport(name: string): NotFoundError {
  return withFact(new NotFoundError(`Key value store "${name}" was deleted while the import ran; nothing was imported.`), {
    code: 'resource-deleted', kind: 'key-value', name,
  })
}

export function keyNotFound(store: string, key: string): NotFoundError {
  return withFact(new NotFoundError(`Key "${key}" not found in key value store "${store}"`), {code: 'key-not-found', store, key})
}

export function appNotFound(app: string): NotFoundError {
  return withFact(new NotFoundError(`Could not find app '${app}'`), {code: 'app-not-found', app})
}

export function labelNotLinked(app: string, kind: ResourceKind, label: string): NotFoundError {
  return withFact(new NotFoundError(`No ${noun(kind)} found with label "${label}" for app "${app}"`), {code: 'label-not-linked', app, kind, label})
}

export function labelLinkedElsewhere(app: string, kind: ResourceKind, label: string, linkedTo: string, wanted: string): ConflictError {
  return withFact(new ConflictError(`App "${app}"'s "${label}" label is currently linked to "${linkedTo}"`), {
    code: 'label-linked-elsewhere', app, kind, label, linkedTo, wanted,
  })
}

/** A link for a label no component of the app declares (most likely a typo). */
export function labelUndeclared(app: string, kind: ResourceKind, label: string, declared: string[]): InvalidInputError {
  const table = kind === 'key-value' ? 'key_value_stores' : 'sqlite_databases'
  return withFact(new InvalidInputError(
    `App "${app}" does not use the label "${label}": no component declares it in ${table}` +
      (declared.length > 0 ? ` (its labels: ${declared.join(', ')}).` : ' (it declares no labels).'),
  ), {code: 'label-undeclared', app, kind, label, declared})
}

/** The same rule, for a deploy's `--link` flag naming a label its manifest does not declare. */
export function flagLabelUndeclared(app: string, kind: ResourceKind, label: string, declared: string[], flag: string, manifestFile: string): InvalidInputError {
  return withFact(new InvalidInputError(`${flag} names the label "${label}", which no component in ${manifestFile} declares as a ${noun(kind)}.`), {
    code: 'label-undeclared', app, kind, label, declared, flag,
  })
}

export function labelLinkedTwice(label: string): InvalidInputError {
  return withFact(new InvalidInputError(`Label ${label} is linked more than once`), {code: 'label-linked-twice', label})
}

export function labelsUnlinked(labels: string[]): InvalidInputError {
  return withFact(new InvalidInputError(`No link specified for label${labels.length > 1 ? 's' : ''} ${labels.map((l) => `'${l}'`).join(', ')}`), {
    code: 'labels-unlinked', labels,
  })
}

/** Seeding writes to the store linked as `label`, so the app must declare that label. */
export function noSeedLabel(app: string, label: string, declared: string[], manifestFile?: string): InvalidInputError {
  const where = manifestFile ?? `app "${app}"`
  return withFact(new InvalidInputError(
    `--key-value writes to the key value store linked with the label "${label}", and no component in ${where} declares that label` +
      (declared.length > 0 ? ` (its labels: ${declared.join(', ')}).` : ' (it declares no key value store labels).'),
  ), {code: 'no-seed-label', app, label, declared})
}

export function invalidCursor(cursor: string): InvalidInputError {
  return withFact(new InvalidInputError(`Invalid cursor "${cursor}". Pass the "next" value of a previous listing.`), {code: 'invalid-cursor', cursor})
}

export function kindNotLinkable(kind: ResourceKind): InvalidInputError {
  return withFact(new InvalidInputError(`kvcloud does not link ${NOUN[kind]}s yet; only key value stores.`), {code: 'kind-not-linkable', kind})
}

export function linksKeptChanging(label: string): UnavailableError {
  return withFact(new UnavailableError(
    `Other kvcloud commands kept changing the links of this store while label "${label}" was being linked; nothing was linked.`,
  ), {code: 'links-kept-changing', label})
}
