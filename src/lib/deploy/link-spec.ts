import {InvalidInputError} from '../errors.js'
import {validateLabel, validateStoreName} from '../validation.js'
import type {ResourceKind} from '../core/ports.js'
import {requireDistinctLabels} from '../core/rules.js'

/** The flag's word for a kind: `kv` links a key value store; `sqlite` a SQLite database (not linked yet). */
export type LinkSpecKind = 'kv' | 'sqlite'

export const RESOURCE_KIND: Record<LinkSpecKind, ResourceKind> = {kv: 'key-value', sqlite: 'sqlite'}

/** One `--link KIND:LABEL=NAME` flag. */
export interface LinkSpec {
  kind: LinkSpecKind
  label: string
  /** The store (or database) name. */
  target: string
}

export const LINK_FORM = "Links must be of the form 'sqlite:label=database' or 'kv:label=store'"

export function parseLinkSpec(raw: string): LinkSpec {
  const match = /^(kv|sqlite):([^=]*)=(.*)$/.exec(raw)
  if (!match || match[2] === '' || match[3] === '') {
    throw new InvalidInputError(`${LINK_FORM} (got "${raw}").`)
  }
  const kind = match[1] as LinkSpecKind
  const label = match[2]!
  const target = match[3]!
  validateLabel(label)
  if (kind === 'kv') validateStoreName(target)
  return {kind, label, target}
}

/** Parses every `--link` flag; one label may appear once per kind. */
export function parseLinkSpecs(raws: readonly string[]): LinkSpec[] {
  const specs = raws.map((raw) => parseLinkSpec(raw))
  requireDistinctLabels(specs.map((spec) => ({kind: RESOURCE_KIND[spec.kind], label: spec.label})))
  return specs
}

export function formatLinkSpec(spec: LinkSpec): string {
  return `${spec.kind}:${spec.label}=${spec.target}`
}
