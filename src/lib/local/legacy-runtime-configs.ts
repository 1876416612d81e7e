import {readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import type {Catalog} from './catalog.js'

/**
 * kvcloud 0.1 recorded where deploy wrote each app's runtime config in runtime-configs.json, a
 * file that two deploys at once could each overwrite. The catalog keeps those records now (one
 * transaction per change); this carries the old file's records over, once, and removes it.
 */
export function importLegacyRuntimeConfigs(home: string, catalog: Catalog): void {
  const file = join(home, 'runtime-configs.json')
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return
  }
  let entries: unknown
  try {
    entries = (JSON.parse(text) as {apps?: unknown}).apps
  } catch {
    // Unreadable: nothing to carry over. The next deploy of each app records it again.
  }
  catalog.write(() => {
    for (const entry of Array.isArray(entries) ? (entries as Array<Record<string, unknown>>) : []) {
      const {app: name, runtimeConfig, manifest} = entry ?? {}
      if (typeof name !== 'string' || typeof runtimeConfig !== 'string' || typeof manifest !== 'string') continue
      const app = catalog.appByName(name)
      // A record the catalog already has is newer than the file's.
      if (app && !catalog.runtimeConfigOf(app.id)) catalog.setRuntimeConfig(app.id, {runtime_config: runtimeConfig, manifest})
    }
  })
  rmSync(file, {force: true})
}
