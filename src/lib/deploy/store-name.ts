// The store name deploy proposes for a label: `APP-LABEL`, the same on every run (the incumbent's
// random adjective-noun names made re-running a deploy non-repeatable), shaped to the store-name rule.

const MAX_STORE_NAME = 64

/** `APP-LABEL`, with characters the store-name rule forbids turned into "-" and cut to 64 characters. */
export function defaultStoreName(app: string, label: string): string {
  let name = `${app}-${label}`
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
  if (name === '') name = label.replace(/[^A-Za-z0-9_-]+/g, '-')
  return name.slice(0, MAX_STORE_NAME)
}

/**
 * `base` when no store has that name (compared without case, so a backend that ignores case
 * cannot report a conflict), else `base-2`, `base-3`, ... still within 64 characters.
 */
export function uniqueStoreName(base: string, taken: Iterable<string>): string {
  const used = new Set([...taken].map((name) => name.toLowerCase()))
  if (!used.has(base.toLowerCase())) return base
  for (let n = 2; ; n++) {
    const suffix = `-${n}`
    const candidate = base.slice(0, MAX_STORE_NAME - suffix.length) + suffix
    if (!used.has(candidate.toLowerCase())) return candidate
  }
}
