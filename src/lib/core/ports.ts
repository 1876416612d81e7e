// The two storage ports the core's rules run over. The core decides (validation, who may link
// what, what a deploy changes); an implementation only stores, and applies each change it is
// given atomically. The SQLite implementation is in src/lib/sqlite; another (PostgreSQL)
// implements these same interfaces and inherits every rule and every conformance test.

import type {AppInfo, ComponentInfo, Pair, ResourceKind} from '../backend.js'

export type {ResourceKind} from '../backend.js'

export interface ResourceRecord {
  /** The implementation's own id; never shown, never a name. */
  id: string
  kind: ResourceKind
  name: string
  createdAt: string
}

/** An app as the catalog keeps it: what AppInfo shows but its labels and links, which the core derives. */
export interface AppRecord extends Omit<AppInfo, 'labels' | 'links'> {
  id: number
}

export interface LinkRecord {
  app: string
  kind: ResourceKind
  label: string
  resource: ResourceRecord
}

/** An app as a deploy saves it. */
export interface AppDefinition {
  name: string
  version?: string
  description?: string
  components: ComponentInfo[]
}

export interface LabelLink {
  kind: ResourceKind
  label: string
  resource: ResourceRecord
}

/** What one deploy changes, applied in one atomic step. */
export interface DeployChange {
  app: AppDefinition
  /** Resources this deploy creates; each name must still be free when it commits. */
  create: ResourceRecord[]
  /** Links to set (new ones and relinks); unchanged links are not listed. */
  links: LabelLink[]
  at: string
}

/**
 * The catalog repository: resources, apps and links. Reads return records or undefined; each
 * write is atomic and checks its preconditions when it commits (a name taken meanwhile is a
 * conflict, a resource deleted meanwhile is not found), failing with the core's errors.
 */
export interface CatalogPort {
  resourceByName(kind: ResourceKind, name: string): Promise<ResourceRecord | undefined>
  /** Resources of a kind named after `after`, in name order; only those linked to `app` when given. */
  resourcesAfter(kind: ResourceKind, after: string, limit: number, app?: string): Promise<ResourceRecord[]>
  /** Links to these resources, sorted by app, then label. */
  linksOfResources(ids: string[]): Promise<LinkRecord[]>
  appByName(name: string): Promise<AppRecord | undefined>
  appsAfter(after: string, limit: number): Promise<AppRecord[]>
  /** The app's links, sorted by kind, then label. */
  linksOfApp(appId: number): Promise<LinkRecord[]>
  linkOf(appId: number, kind: ResourceKind, label: string): Promise<LinkRecord | undefined>

  createResource(resource: ResourceRecord): Promise<void>
  /** Deletes the resource, its data and its links. */
  deleteResource(resource: ResourceRecord): Promise<void>
  renameResource(resource: ResourceRecord, newName: string): Promise<void>
  /** Points labels of the app at resources, all at once; not found when the app is gone by then. */
  setLinks(app: AppRecord, links: LabelLink[]): Promise<void>
  removeLink(app: AppRecord, link: LinkRecord): Promise<void>
  /** Removes the app and its links; never a resource. */
  deleteApp(app: AppRecord): Promise<void>
  /** Creates or updates the app (its revision goes up by one), creates resources and sets links. */
  deploy(change: DeployChange): Promise<{appId: number; revision: number}>

  /**
   * Optional: a number that changes whenever the catalog may have changed, by anyone. While it
   * stays the same, what was read is still true, so the core may keep resolved targets.
   */
  changeMark?(): number
  close(): Promise<void>
}

/** The key-value data of a store: its pairs, imports and exports. */
export interface KeyValueDataPort {
  get(store: ResourceRecord, key: string): Promise<Uint8Array | undefined>
  set(store: ResourceRecord, pairs: Pair[]): Promise<void>
  /** How many of the keys existed. */
  delete(store: ResourceRecord, keys: string[]): Promise<number>
  /** Keys in UTF-8 byte order, after `after`, at most `limit`. */
  keys(store: ResourceRecord, options: {prefix?: string; after?: string; limit: number}): Promise<string[]>
  /**
   * All or nothing. `onBatch` sees every batch before it is taken (and may throw to refuse it);
   * the import fails when the store is deleted before it commits.
   */
  import(store: ResourceRecord, batches: AsyncIterable<Pair[]>, onBatch: (batch: Pair[]) => void): Promise<number>
  /** Every pair at one moment, in key order. */
  export(store: ResourceRecord): AsyncIterable<Pair>
}
