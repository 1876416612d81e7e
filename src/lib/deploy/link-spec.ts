import {InvalidInputError} from '../errors.js'
import {validateLabel, validateStoreName} from '../validation.js'

/** `kv` links a key value store; `sqlite` a SQLite database (kept in the model, not linked yet). */
export type ResourceKind = 'kv' | 'sqlite'

/** One `--link KIND:LABEL=NAME` flag. */
export interface LinkSpec {
  kind: ResourceKind
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
  const kind = match[1] as ResourceKind
  const label = match[2]!
  const target = match[3]!
  validateLabel(label)
  if (kind === 'kv') validateStoreName(target)
  return {kind, label, target}
}

/** Parses every `--link` flag; one label may appear once per kind. */
export function parseLinkSpecs(raws: readonly string[]): LinkSpec[] {
  const specs = raws.map((raw) => parseLinkSpec(raw))
  const seen = new Set<string>()
  for (const spec of specs) {
    const key = `${spec.kind}:${spec.label}`
    if (seen.has(key)) {
      throw new InvalidInputError(`Label ${spec.label} is linked more than once`, ['Pass one --link per label.'])
    }
    seen.add(key)
  }
  return specs
}

export function formatLinkSpec(spec: LinkSpec): string {
  return `${spec.kind}:${spec.label}=${spec.target}`
}
