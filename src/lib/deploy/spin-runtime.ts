// Keeps the runtime config file of an app in step with its links, on the local backend only:
// deploy writes it and records where; link and unlink rewrite it when deploy recorded one.

import {existsSync} from 'node:fs'
import type {AppInfo, Backend} from '../backend.js'
import {hasStoreFiles, readRuntimeConfig, spinUpCommand, updateRuntimeConfig, type RuntimeConfigChange} from '../runtime-config.js'

export interface RuntimeConfigOutcome {
  change: RuntimeConfigChange
  /** The `spin up --runtime-config-file ...` line to copy. */
  spinUp: string
}

/** Checks an existing runtime config parses, before a deploy changes anything. */
export async function checkRuntimeConfig(backend: Backend, file: string): Promise<void> {
  if (hasStoreFiles(backend)) await readRuntimeConfig(file)
}

/** Writes every linked, declared label of `app`; undefined when the backend has no store files. */
export async function writeAppRuntimeConfig(
  backend: Backend,
  app: AppInfo,
  location: {runtimeConfig: string; manifest: string},
  options: {remove?: string[]; cwd?: string} = {},
): Promise<RuntimeConfigOutcome | undefined> {
  if (!hasStoreFiles(backend)) return undefined
  const entries = app.links
    .filter((link) => app.labels.includes(link.label))
    .map((link) => ({label: link.label, store: link.store, storeFile: backend.storeFilePath(link.store)}))
  // An app with no key value store labels needs no runtime config; do not create an empty one.
  if (entries.length === 0 && (options.remove ?? []).length === 0 && !existsSync(location.runtimeConfig)) return undefined
  const change = await updateRuntimeConfig(location.runtimeConfig, entries, options.remove ?? [])
  await backend.rememberRuntimeConfig(app.name, location)
  return {change, spinUp: spinUpCommand(location.manifest, location.runtimeConfig, options.cwd)}
}

/**
 * After `link` or `unlink`: rewrites the runtime config deploy last wrote for `app`. Returns
 * 'unknown' when no deploy recorded one (the app was deployed elsewhere, or the record is gone),
 * 'remote' on a backend without store files.
 */
export async function refreshAppRuntimeConfig(
  backend: Backend,
  appName: string,
  options: {remove?: string[]; cwd?: string} = {},
): Promise<RuntimeConfigOutcome | 'unknown' | 'remote'> {
  if (!hasStoreFiles(backend)) return 'remote'
  const location = await backend.runtimeConfigLocation(appName)
  if (!location) return 'unknown'
  const app = await backend.getApp(appName)
  return (await writeAppRuntimeConfig(backend, app, location, options)) ?? 'unknown'
}
