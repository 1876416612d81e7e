// The store name deploy proposes for a label: `APP-LABEL`, the same on every run (the incumbent's
// random adjective-noun names made re-running a deploy non-repeatable), shaped to the store-name rule.

const MAX_STORE_NAME = 64

/**
 * `APP-LABEL`. App names and labels are Spin ids (checked when the manifest is read), so only the
 * length needs shaping: past 64 characters the label is kept whole and the app name is cut,
 * at a word boundary when one is near, so the name still says which label it serves.
 */
export function defaultStoreName(app: string, label: string): string {
  const name = `${app}-${label}`.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/-{2,}/g, '-').replace(/^[^A-Za-z0-9]+/, '')
  if (name.length <= MAX_STORE_NAME) return name
  const room = MAX_STORE_NAME - label.length - 1
  if (room < 8) return label.slice(0, MAX_STORE_NAME)
  let cut = app.slice(0, room)
  const boundary = Math.max(cut.lastIndexOf('-'), cut.lastIndexOf('_'))
  if (boundary >= room / 2) cut = cut.slice(0, boundary)
  return `${cut.replace(/[-_]+$/, '')}-${label}`
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
