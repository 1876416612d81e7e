// Rules about apps and their labels, each once, for the core's operations and for deploy's
// planning (which checks them before anything is asked or sent).

import type {ComponentInfo} from '../backend.js'
import {flagLabelUndeclared, kindNotLinkable, labelLinkedTwice, labelUndeclared, noSeedLabel} from './facts.js'
import type {ResourceKind} from './ports.js'

/** The label whose store `deploy --key-value` seeds. */
export const SEED_LABEL = 'default'

/** The sorted, distinct labels an app's components declare for a kind. */
export function declaredLabels(components: readonly ComponentInfo[], kind: ResourceKind = 'key-value'): string[] {
  const labels = components.flatMap((component) => (kind === 'key-value' ? component.keyValueStores : component.sqliteDatabases))
  return [...new Set(labels)].sort()
}

/** Where a link was asked for, when it came from a deploy's `--link` flag (for the message). */
export interface LinkSource {
  flag: string
  manifestFile: string
}

/**
 * A label must be one the app's components declare: a link nobody opens is most likely a typo.
 * `declared` is undefined where the app's components are not known (an app made without a
 * manifest), and then any valid label is accepted; `allowUndeclared` accepts one knowingly.
 */
export function requireDeclared(app: string, kind: ResourceKind, label: string, declared: readonly string[] | undefined, options: {allowUndeclared?: boolean; source?: LinkSource} = {}): void {
  if (declared === undefined || options.allowUndeclared || declared.includes(label)) return
  if (!options.source) throw labelUndeclared(app, kind, label, [...declared])
  throw flagLabelUndeclared(app, kind, label, [...declared], options.source.flag, options.source.manifestFile)
}

/** The kinds a label can be linked to today: key-value stores (SQLite databases are kept in the model, not linked yet). */
export function requireLinkableKind(kind: ResourceKind): void {
  if (kind !== 'key-value') throw kindNotLinkable(kind)
}

/** One label may be linked once per kind in one request. */
export function requireDistinctLabels(links: ReadonlyArray<{kind: ResourceKind; label: string}>): void {
  const seen = new Set<string>()
  for (const {kind, label} of links) {
    const key = `${kind}:${label}`
    if (seen.has(key)) throw labelLinkedTwice(label)
    seen.add(key)
  }
}

/** Seeding writes to the store linked as `default`, so the app must declare that label. */
export function requireSeedLabel(app: string, declared: readonly string[], manifestFile?: string): void {
  if (!declared.includes(SEED_LABEL)) throw noSeedLabel(app, SEED_LABEL, [...declared], manifestFile)
}
