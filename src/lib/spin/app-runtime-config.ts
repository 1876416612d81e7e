// Keeps the runtime config file of an app in step with its links, on a backend whose stores are
// files Spin can open (the local one): deploy writes it and records where; link and unlink
// rewrite it when deploy recorded one. The backend is reached through the few methods below, so
// this module knows nothing of backends beyond them.

import {existsSync} from 'node:fs'
import {readRuntimeConfig, updateRuntimeConfig} from './runtime-config-file.js'
import type {RuntimeConfigChange} from './runtime-config.js'
import {spinUpCommand} from './spin-up.js'

/** Where deploy wrote an app's runtime config, and the manifest it was deployed from. */
export interface RuntimeConfigLocation {
  runtimeConfig: string
  manifest: string
}

/** What this module reads of an app: its declared labels and its links. */
export interface LinkedApp {
  name: string
  labels: string[]
  links: Array<{label: string; store: string}>
}

/** Any backend: its apps, and its store files when it keeps stores as files Spin can open (the local one). */
export interface AppSource {
  getApp(name: string): Promise<LinkedApp>
  readonly storeFiles?: SpinStoreFiles
}

/** What a backend that keeps its stores as Spin-format files offers for runtime config files. */
export interface SpinStoreFiles {
  /** The folder that holds them. */
  readonly storesFolder: string
  storeFilePath(name: string): string
  runtimeConfigLocation(app: string): Promise<RuntimeConfigLocation | undefined>
  rememberRuntimeConfig(app: string, location: RuntimeConfigLocation): Promise<void>
  /**
   * Runs `work` with the app as it is now (undefined once deleted) while no other kvcloud of
   * this home can change apps or links, so a runtime config written from it is never stale.
   */
  withAppsHeld<T>(app: string, work: (now: {app?: LinkedApp; location?: RuntimeConfigLocation}) => T): T
}

export interface RuntimeConfigOutcome {
  change: RuntimeConfigChange
  /** The `spin up --runtime-config-file ...` line to copy. */
  spinUp: string
}

/** Checks an existing runtime config parses, before a deploy changes anything. */
export async function checkRuntimeConfig(backend: AppSource, file: string): Promise<void> {
  if (backend.storeFiles) await readRuntimeConfig(file)
}

/** Writes every linked, declared label of `app`; undefined when the backend has no store files. */
export async function writeAppRuntimeConfig(
  backend: AppSource,
  app: LinkedApp,
  location: RuntimeConfigLocation,
  options: {remove?: string[]; cwd?: string} = {},
): Promise<RuntimeConfigOutcome | undefined> {
  const files = backend.storeFiles
  if (!files) return undefined
  const change = syncRuntimeConfig(files, app.name, location, options.remove ?? [])
  if (!change) return undefined
  await files.rememberRuntimeConfig(app.name, location)
  return {change, spinUp: spinUpCommand(location.manifest, location.runtimeConfig, options.cwd)}
}

/**
 * Rewrites one runtime config from the app's links as they are now, holding kvcloud's catalog
 * lock from reading them to writing the file: whichever of two concurrent link, unlink or
 * deploy commands writes last, writes the links as they are after both. `remove` drops tables
 * of labels no longer linked; an app deleted meanwhile keeps none.
 */
function syncRuntimeConfig(files: SpinStoreFiles, appName: string, location: RuntimeConfigLocation, remove: string[]): RuntimeConfigChange | undefined {
  return files.withAppsHeld(appName, ({app}) => {
    const entries = (app?.links ?? [])
      .filter((link) => app!.labels.includes(link.label))
      .map((link) => ({label: link.label, store: link.store, storeFile: files.storeFilePath(link.store)}))
    const linked = new Set(entries.map((entry) => entry.label))
    const gone = remove.filter((label) => !linked.has(label))
    // An app with no key value store labels needs no runtime config; do not create an empty one.
    if (entries.length === 0 && gone.length === 0 && !existsSync(location.runtimeConfig)) return undefined
    return updateRuntimeConfig(location.runtimeConfig, entries, gone)
  })
}

/**
 * After `link` or `unlink`: rewrites the runtime config deploy last wrote for `app`. Returns
 * 'unknown' when no deploy recorded one (the app was deployed elsewhere, or the record is gone),
 * 'remote' on a backend without store files.
 */
export async function refreshAppRuntimeConfig(
  backend: AppSource,
  appName: string,
  options: {remove?: string[]; cwd?: string} = {},
): Promise<RuntimeConfigOutcome | 'unknown' | 'remote'> {
  if (!backend.storeFiles) return 'remote'
  const location = await backend.storeFiles.runtimeConfigLocation(appName)
  if (!location) return 'unknown'
  const app = await backend.getApp(appName)
  return (await writeAppRuntimeConfig(backend, app, location, options)) ?? 'unknown'
}

/** What deleting an app must take out of its runtime config: read before the delete. */
export interface AppRuntimeConfigRecord {
  location: RuntimeConfigLocation
  labels: string[]
}

export async function recordOfApp(backend: AppSource, appName: string): Promise<AppRuntimeConfigRecord | undefined> {
  if (!backend.storeFiles) return undefined
  const location = await backend.storeFiles.runtimeConfigLocation(appName)
  if (!location) return undefined
  return {location, labels: (await backend.getApp(appName)).links.map((link) => link.label)}
}

/** After `apps delete`: the app's kvcloud tables leave its runtime config (the user's own stay). */
export function forgetAppRuntimeConfig(backend: AppSource, appName: string, record: AppRuntimeConfigRecord | undefined): RuntimeConfigChange | undefined {
  if (!record || !backend.storeFiles) return undefined
  return syncRuntimeConfig(backend.storeFiles, appName, record.location, record.labels)
}

/**
 * After `kv delete` or `kv rename` of a store: every app that linked it gets its runtime config
 * rewritten (a deleted store's labels removed, a renamed one's tables naming the new name).
 * `links` are the store's links from before the change.
 */
export async function refreshRuntimeConfigsOfStore(backend: AppSource, links: Array<{app: string; label: string}>): Promise<RuntimeConfigChange[]> {
  const files = backend.storeFiles
  if (!files) return []
  const changes: RuntimeConfigChange[] = []
  for (const appName of new Set(links.map((link) => link.app))) {
    const location = await files.runtimeConfigLocation(appName).catch(() => undefined)
    if (!location) continue
    const labels = links.filter((link) => link.app === appName).map((link) => link.label)
    const change = syncRuntimeConfig(files, appName, location, labels)
    if (change?.changed) changes.push(change)
  }
  return changes
}
