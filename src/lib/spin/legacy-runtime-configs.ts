import {readFileSync} from 'node:fs'
import {join} from 'node:path'

export interface LegacyRuntimeConfigRecord {
  app: string
  runtimeConfig: string
  manifest: string
}

/**
 * kvcloud 0.1 recorded where deploy wrote each app's runtime config in `<home>/runtime-configs.json`,
 * a file that two deploys at once could each overwrite; the catalog keeps these records now.
 * Reads that file's well-formed records for the catalog migration that carries them over; none
 * when it is missing or unreadable (the next deploy of each app records it again).
 */
export function readLegacyRuntimeConfigs(home: string): {file: string; records: LegacyRuntimeConfigRecord[]} {
  const file = join(home, 'runtime-configs.json')
  let entries: unknown
  try {
    entries = (JSON.parse(readFileSync(file, 'utf8')) as {apps?: unknown}).apps
  } catch {
    return {file, records: []}
  }
  const records = (Array.isArray(entries) ? (entries as Array<Record<string, unknown> | null>) : []).filter(
    (entry): entry is Record<string, unknown> & LegacyRuntimeConfigRecord =>
      typeof entry?.app === 'string' && typeof entry.runtimeConfig === 'string' && typeof entry.manifest === 'string',
  )
  return {file, records}
}
