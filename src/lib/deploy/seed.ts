import type {Pair} from '../backend.js'
import {InvalidInputError} from '../errors.js'
import type {SpinManifest} from '../spin/manifest.js'
import {requireSeedLabel as requireCoreSeedLabel} from '../core/rules.js'

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

/** Seeding writes to the store linked as `default`, so the manifest must declare that label (the core's rule). */
export function requireSeedLabel(manifest: SpinManifest): void {
  requireCoreSeedLabel(manifest.name, manifest.keyValueLabels, manifest.file)
}
