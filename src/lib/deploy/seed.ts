import type {Pair} from '../backend.js'
import {InvalidInputError} from '../errors.js'
import type {SpinManifest} from '../manifest/manifest.js'
import {commandLine} from '../cli-name.js'

export const SEED_LABEL = 'default'

/** `--key-value KEY=VALUE` flags, split on the first "=" as `kv set` does. */
export function parseSeedPairs(raws: readonly string[]): Pair[] {
  const encoder = new TextEncoder()
  return raws.map((raw) => {
    const at = raw.indexOf('=')
    if (at <= 0) {
      throw new InvalidInputError(`--key-value takes KEY=VALUE (got "${raw}").`, ['The key is everything before the first "=", the value everything after it.'])
    }
    return {key: raw.slice(0, at), value: encoder.encode(raw.slice(at + 1))}
  })
}

/** Seeding writes to the store linked as `default`, so the app must declare that label. */
export function requireSeedLabel(manifest: SpinManifest): void {
  if (manifest.keyValueLabels.includes(SEED_LABEL)) return
  const labels = manifest.keyValueLabels
  throw new InvalidInputError(
    `--key-value writes to the key value store linked with the label "${SEED_LABEL}", and no component in ${manifest.file} declares that label` +
      (labels.length > 0 ? ` (its labels: ${labels.join(', ')}).` : ' (it declares no key value store labels).'),
    [
      `Add "${SEED_LABEL}" to a component's key_value_stores, or after deploying run "${commandLine(`kv set --app ${manifest.name} --label LABEL KEY=VALUE`)}".`,
    ],
  )
}
