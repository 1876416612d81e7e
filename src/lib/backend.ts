// The one interface every backend offers: the embedded backend and a server's accounts (the
// core's rules over storage ports, src/lib/core) and the HTTP client of a kvcloud server. The
// server is a thin HTTP layer over this same interface, so no rule lives in a command or a route.

import type {ComponentInfo} from './spin/component.js'
// A component is Spin's (spin/component.ts); every backend stores and returns it.
import type {SpinStoreFiles} from './spin/app-runtime-config.js'
export type {ComponentInfo}

/** Where a pair operation goes: a store by name, or the store an app links under a label. */
export type StoreTarget = {store: string} | {app: string; label: string}

export interface StoreLink {
  app: string
  label: string
}

export interface StoreInfo {
  name: string
  /** Links sorted by app, then label. */
  links: StoreLink[]
  createdAt: string
}

export interface Pair {
  key: string
  value: Uint8Array
}

/** One page of a listing; `next` is an opaque cursor, absent on the last page. */
export interface Page<T> {
  items: T[]
  next?: string
}

export interface PageOptions {
  cursor?: string
  limit?: number
}

export interface KeyListOptions extends PageOptions {
  prefix?: string
}

export interface StoreListOptions extends PageOptions {
  /** Only stores with a link to this app (NotFound when the app does not exist). */
  app?: string
}

/** What a resource is, and so what a label of an app is linked to: a key-value store, or (coming) a SQLite database. */
export type ResourceKind = 'key-value' | 'sqlite'

export interface AppLink {
  kind: ResourceKind
  label: string
  store: string
}

export interface AppInfo {
  name: string
  version?: string
  description?: string
  revision: number
  createdAt: string
  deployedAt: string
  components: ComponentInfo[]
  /** Sorted union of every component's key_value_stores. */
  labels: string[]
  /** Current key-value links, sorted by label; may include labels no longer declared. */
  links: AppLink[]
}

export type LinkStatus = 'linked' | 'already-linked' | 'relinked'

export interface LinkResult {
  status: LinkStatus
  app: string
  kind: ResourceKind
  label: string
  store: string
  /** The store the label pointed at before a relink. */
  previousStore?: string
}

export interface LinkRequest {
  app: string
  /** What the label links to; key-value (the default) is the kind kvcloud links today. */
  kind?: ResourceKind
  label: string
  store: string
  /** Allow pointing a label that is linked to another store at this one. Without it: ConflictError. */
  replace?: boolean
  /** Allow a label that no component of the app declares (for a label a coming deploy adds). */
  allowUndeclared?: boolean
}

export interface UnlinkResult {
  app: string
  kind: ResourceKind
  label: string
  store: string
}

/** What a deploy asks the backend to apply in one atomic change. */
export interface DeployRequest {
  app: {
    name: string
    version?: string
    description?: string
    components: ComponentInfo[]
  }
  /** Labels to link; `create` makes the store first when it does not exist. */
  links: Array<{label: string; store: string; create: boolean}>
  /** Pairs to write into the store linked as `default` after linking. */
  seed?: Pair[]
}

export type DeployAction = 'kept' | 'linked' | 'created' | 'relinked'

export interface DeployResult {
  app: string
  revision: number
  labels: Array<{label: string; store: string; action: DeployAction; previousStore?: string}>
  /** Labels still linked but no longer declared by any component. */
  unused: AppLink[]
}

export interface ImportOptions {
  /** Called now and then with the number of pairs taken so far. */
  onProgress?: (pairsSoFar: number) => void
}

export interface ImportResult {
  count: number
}

export type BackendDescription =
  | {kind: 'local'; home: string; catalog: string; sqlite: SqliteDescription}
  | {kind: 'remote'; url: string; account: string}

/** Which SQLite library the local backend reads its files with, and the SQLite inside it. */
export interface SqliteDescription {
  binding: 'node:sqlite' | 'better-sqlite3'
  version: string
}

export interface Limits {
  maxKeyBytes: number
  maxValueBytes: number
}

/** Key-value stores as resources: their names and links. */
export interface StoreResources {
  listStores(options?: StoreListOptions): Promise<Page<StoreInfo>>
  getStore(name: string): Promise<StoreInfo>
  createStore(name: string): Promise<StoreInfo>
  /** Deletes the store, its data and every link to it. */
  deleteStore(name: string): Promise<void>
  renameStore(name: string, newName: string): Promise<void>
}

/** The data inside key-value stores: pairs, imports and exports. */
export interface KeyValueData {
  /** NotFoundError when the key is absent. */
  getValue(target: StoreTarget, key: string): Promise<Uint8Array>
  /** All pairs in one transaction. */
  setValues(target: StoreTarget, pairs: Pair[]): Promise<void>
  /** Returns how many of the keys existed. Missing keys are no error. */
  deleteKeys(target: StoreTarget, keys: string[]): Promise<number>
  /** Keys in byte order of their UTF-8 encoding. */
  listKeys(target: StoreTarget, options?: KeyListOptions): Promise<Page<string>>
  /** All or nothing; batches are consumed as they come so memory stays flat. */
  importPairs(target: StoreTarget, batches: AsyncIterable<Pair[]>, options?: ImportOptions): Promise<ImportResult>
  /** Every pair, in key order. */
  exportPairs(target: StoreTarget): AsyncIterable<Pair>
}

/** Apps, the links of their labels, and deploys. */
export interface AppsAndLinks {
  listApps(options?: PageOptions): Promise<Page<AppInfo>>
  getApp(name: string): Promise<AppInfo>
  /** Removes the app and its links; never a store or its data. */
  deleteApp(name: string): Promise<void>
  linkStore(request: LinkRequest): Promise<LinkResult>
  unlinkStore(app: string, label: string, kind?: ResourceKind): Promise<UnlinkResult>
  deploy(request: DeployRequest): Promise<DeployResult>
}

/** What every backend offers: the embedded one, a server's accounts, and the HTTP client of a server. */
export interface Backend extends StoreResources, KeyValueData, AppsAndLinks {
  readonly kind: 'local' | 'remote'
  /** Present where stores are Spin-format files on this machine (the embedded backend): runtime configs can name them. */
  readonly storeFiles?: SpinStoreFiles
  describe(): Promise<BackendDescription>
  close(): Promise<void>
}

/** Reads every page of a paginated listing. */
export async function collectAll<T>(fetchPage: (cursor?: string) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = []
  let cursor: string | undefined
  do {
    const page = await fetchPage(cursor)
    items.push(...page.items)
    cursor = page.next
  } while (cursor !== undefined)
  return items
}

export function describeTarget(target: StoreTarget): string {
  return 'store' in target
    ? `key value store "${target.store}"`
    : `the key value store linked to app "${target.app}" with the label "${target.label}"`
}
