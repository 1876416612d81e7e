// Data an app already keeps in Spin's own stores, which deploy offers to bring into the kvcloud
// store it links: Spin's default store for "default" (.spin/sqlite_key_value.db beside the
// manifest, spin crates/runtime-config), and files the user's own runtime config names.

import {existsSync, readFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {parse} from 'smol-toml'
import {isTomlTable} from './toml-table.js'

export interface SpinData {
  label: string
  /** The Spin store file that holds the label's pairs. */
  file: string
  pairs: number
}

/**
 * For each of `labels`, the Spin store file that `spin up` would have used for it before kvcloud
 * linked it, when that file holds pairs under the label. `isKvcloudFile` tells kvcloud's own
 * store files, which are never offered; `countPairs` reads a Spin store file (0 when it is not
 * one), so this module opens no database itself. Read before deploy rewrites the runtime config.
 */
export function findSpinData(
  manifestFile: string,
  runtimeConfigFile: string,
  labels: string[],
  isKvcloudFile: (path: string) => boolean,
  countPairs: (file: string, label: string) => number,
): SpinData[] {
  const own = userSpinEntries(runtimeConfigFile)
  const found: SpinData[] = []
  for (const label of labels) {
    const file = own.get(label) ?? (label === 'default' ? join(dirname(manifestFile), '.spin', 'sqlite_key_value.db') : undefined)
    if (!file || isKvcloudFile(file) || !existsSync(file)) continue
    const pairs = countPairs(file, label)
    if (pairs > 0) found.push({label, file, pairs})
  }
  return found
}

/** `[key_value_store.LABEL] type = "spin" path = "..."` tables, paths resolved as Spin does: from the file's folder. */
function userSpinEntries(runtimeConfigFile: string): Map<string, string> {
  const entries = new Map<string, string>()
  let doc: unknown
  try {
    doc = parse(readFileSync(runtimeConfigFile, 'utf8'))
  } catch {
    return entries
  }
  const stores = isTomlTable(doc) && isTomlTable(doc.key_value_store) ? doc.key_value_store : {}
  for (const [label, table] of Object.entries(stores)) {
    if (isTomlTable(table) && table.type === 'spin' && typeof table.path === 'string') {
      entries.set(label, resolve(dirname(runtimeConfigFile), table.path))
    }
  }
  return entries
}
