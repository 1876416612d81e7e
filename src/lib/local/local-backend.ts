import {randomBytes} from 'node:crypto'
import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import type {
  AppInfo, AppLink, Backend, BackendDescription, DeployAction, DeployRequest, DeployResult, ImportOptions, ImportResult,
  KeyListOptions, LinkRequest, LinkResult, Limits, Page, PageOptions, Pair, StoreInfo, StoreListOptions, StoreTarget,
  UnlinkResult,
} from '../backend.js'
import {ConflictError, InvalidInputError, NotFoundError, UnavailableError} from '../errors.js'
import {validateAppName, validateKey, validateLabel, validateStoreName, validateValue} from '../validation.js'
import {Catalog, type AppRow, type StoreRow} from './catalog.js'
import {OpenFileBudget} from './open-file-budget.js'
import {StoreFile} from './store-file.js'
import type {RuntimeConfigLocation} from '../runtime-config.js'

export interface LocalBackendOptions {
  /** The folder holding catalog.db and stores/. */
  home: string
  limits: Limits
  /**
   * This process is the only user of `home` (the server, which locks its data folder): keep
   * every file locked while open, so reads need no lock or change checks. Never for a folder
   * that `spin up` or other kvcloud commands read.
   */
  exclusive?: boolean
  /**
   * The descriptor budget that this backend's store files share with others (a server's
   * accounts share one); without it the backend has its own, of MAX_OPEN_FILES files.
   */
  openFiles?: OpenFileBudget
}

/** The namespace a store's rows live in before it is first linked. */
export const OWN_NAMESPACE = 'default'

const DEFAULT_PAGE = 100
const MAX_PAGE = 1000
const EXPORT_PAGE = 1000
/** Store files a backend keeps open at once (a server serves many stores from one process). */
const MAX_OPEN_FILES = 64
/** An open store file holds its database and, in the server's exclusive mode, its journal. */
export const STORE_FILE_DESCRIPTORS = 2

interface ResolvedTarget {
  store: StoreRow
  /** Where reads come from: the label for an app target, else the store's primary namespace. */
  readNamespace: string
  /** Where writes go: every label the store is linked under (or its own namespace). */
  namespaces: string[]
}

/**
 * The embedded backend: a catalog (stores, apps, links) and one Spin-format file per store,
 * named by a random id so no store name ever reaches the file system.
 */
export class LocalBackend implements Backend {
  readonly kind = 'local' as const
  private readonly files = new Map<string, StoreFile>()
  /** Targets resolved while the catalog stayed unchanged (see resolve()). */
  private readonly resolved = new Map<string, ResolvedTarget>()
  private resolvedMark = -1

  private constructor(
    readonly home: string,
    private readonly catalog: Catalog,
    readonly limits: Limits,
    private readonly exclusive: boolean,
    private readonly openFiles: OpenFileBudget,
  ) {}

  static open(options: LocalBackendOptions): LocalBackend {
    try {
      mkdirSync(join(options.home, 'stores'), {recursive: true})
    } catch (error) {
      throw new UnavailableError(`Cannot create the kvcloud data folder ${options.home}: ${(error as Error).message}`, [
        'Set KVCLOUD_HOME to a folder you can write to.',
      ])
    }
    const exclusive = options.exclusive ?? false
    const openFiles = options.openFiles ?? new OpenFileBudget(MAX_OPEN_FILES * STORE_FILE_DESCRIPTORS)
    return new LocalBackend(options.home, new Catalog(join(options.home, 'catalog.db'), {exclusive}), options.limits, exclusive, openFiles)
  }

  async describe(): Promise<BackendDescription> {
    return {kind: 'local', home: this.home, catalog: this.catalog.path}
  }

  /** The Spin-format file behind a store, for runtime config files (local backend only). */
  storeFilePath(name: string): string {
    return this.filePath(this.requireStore(name).id)
  }

  // ---- Stores ----

  async listStores(options: StoreListOptions = {}): Promise<Page<StoreInfo>> {
    if (options.app !== undefined) this.requireApp(options.app)
    const limit = pageSize(options.limit)
    const rows = this.catalog.storesAfter(decodeCursor(options.cursor), limit + 1, options.app)
    const page = rows.slice(0, limit)
    return {items: this.storeInfos(page), next: rows.length > limit ? encodeCursor(page.at(-1)!.name) : undefined}
  }

  async getStore(name: string): Promise<StoreInfo> {
    return this.storeInfos([this.requireStore(name)])[0]!
  }

  async createStore(name: string): Promise<StoreInfo> {
    validateStoreName(name)
    if (this.catalog.storeByName(name)) throw storeExists(name)
    const row: StoreRow = {id: newStoreId(), name, primary_ns: OWN_NAMESPACE, created_at: now()}
    this.openFile(row.id, true)
    try {
      this.catalog.write(() => {
        if (this.catalog.storeByName(name)) throw storeExists(name)
        this.catalog.insertStore(row)
      })
    } catch (error) {
      this.discardFile(row.id)
      throw error
    }
    return {name, links: [], createdAt: row.created_at}
  }

  async deleteStore(name: string): Promise<void> {
    const store = this.requireStore(name)
    this.catalog.write(() => this.catalog.deleteStore(store.id))
    // A running `spin up` may hold the file open: empty it rather than remove it. The handle
    // stays open for anything still streaming into it (ids are never reused).
    this.openFile(store.id, false).clear()
  }

  async renameStore(name: string, newName: string): Promise<void> {
    validateStoreName(newName)
    const store = this.requireStore(name)
    if (name === newName) return
    this.catalog.write(() => {
      if (this.catalog.storeByName(newName)) throw storeExists(newName)
      this.catalog.renameStore(store.id, newName)
    })
  }

  // ---- Pairs ----

  async getValue(target: StoreTarget, key: string): Promise<Uint8Array> {
    validateKey(key, this.limits)
    const resolved = this.resolve(target)
    const value = this.openFile(resolved.store.id, false).get(resolved.readNamespace, key)
    if (value === undefined) {
      throw new NotFoundError(`Key "${key}" not found in key value store "${resolved.store.name}"`, [
        `Run "kvcloud kv keys --store ${resolved.store.name}" to see its keys.`,
      ])
    }
    return value
  }

  async setValues(target: StoreTarget, pairs: Pair[]): Promise<void> {
    for (const {key, value} of pairs) this.validatePair(key, value)
    const resolved = this.resolve(target)
    this.openFile(resolved.store.id, false).set(resolved.namespaces, pairs)
  }

  async deleteKeys(target: StoreTarget, keys: string[]): Promise<number> {
    for (const key of keys) validateKey(key, this.limits)
    const resolved = this.resolve(target)
    const namespaces = [resolved.readNamespace, ...resolved.namespaces.filter((ns) => ns !== resolved.readNamespace)]
    return this.openFile(resolved.store.id, false).delete(namespaces, keys)
  }

  async listKeys(target: StoreTarget, options: KeyListOptions = {}): Promise<Page<string>> {
    const resolved = this.resolve(target)
    const limit = options.limit === undefined ? MAX_PAGE : Math.max(1, Math.min(options.limit, 10_000))
    const keys = this.openFile(resolved.store.id, false).keys(resolved.readNamespace, {
      prefix: options.prefix || undefined,
      after: options.cursor === undefined ? undefined : decodeCursor(options.cursor),
      limit: limit + 1,
    })
    const items = keys.slice(0, limit)
    return {items, next: keys.length > limit ? encodeCursor(items.at(-1)!) : undefined}
  }

  async importPairs(target: StoreTarget, batches: AsyncIterable<Pair[]>, options: ImportOptions = {}): Promise<ImportResult> {
    const resolved = this.resolve(target)
    let taken = 0
    const count = await this.openFile(resolved.store.id, false).importPairs(
      batches,
      (batch) => {
        for (const {key, value} of batch) this.validatePair(key, value)
        taken += batch.length
        options.onProgress?.(taken)
      },
      () => {
        const store = this.catalog.storeById(resolved.store.id)
        if (!store) throw new NotFoundError(`Key value store "${resolved.store.name}" was deleted while the import ran; nothing was imported.`)
        return this.namespacesOf(store)
      },
    )
    return {count}
  }

  async *exportPairs(target: StoreTarget): AsyncIterable<Pair> {
    const resolved = this.resolve(target)
    let after: string | undefined
    for (;;) {
      // Asked for each page: between pages the handle may have been closed to make room.
      const page = this.openFile(resolved.store.id, false).pairs(resolved.readNamespace, after, EXPORT_PAGE)
      yield* page
      if (page.length < EXPORT_PAGE) return
      after = page.at(-1)!.key
    }
  }

  // ---- Apps and links ----

  async listApps(options: PageOptions = {}): Promise<Page<AppInfo>> {
    const limit = pageSize(options.limit)
    const rows = this.catalog.appsAfter(decodeCursor(options.cursor), limit + 1)
    const page = rows.slice(0, limit)
    return {items: page.map((row) => this.appInfo(row)), next: rows.length > limit ? encodeCursor(page.at(-1)!.name) : undefined}
  }

  async getApp(name: string): Promise<AppInfo> {
    return this.appInfo(this.requireApp(name))
  }

  /** Where deploy last wrote the app's runtime config, so link and unlink rewrite it too. */
  async runtimeConfigLocation(app: string): Promise<RuntimeConfigLocation | undefined> {
    const row = this.catalog.runtimeConfigOf(this.requireApp(app).id)
    return row && {runtimeConfig: row.runtime_config, manifest: row.manifest}
  }

  async rememberRuntimeConfig(app: string, location: RuntimeConfigLocation): Promise<void> {
    const known = await this.runtimeConfigLocation(app)
    if (known?.runtimeConfig === location.runtimeConfig && known.manifest === location.manifest) return
    // Deleting the app deletes this record with it (ON DELETE CASCADE).
    this.catalog.write(() => {
      this.catalog.setRuntimeConfig(this.requireApp(app).id, {runtime_config: location.runtimeConfig, manifest: location.manifest})
    })
  }

  async deleteApp(name: string): Promise<void> {
    const app = this.requireApp(name)
    const links = this.catalog.linksOfApp(app.id)
    this.catalog.write(() => {
      this.catalog.deleteApp(app.id)
      for (const link of links) this.keepPrimaryLinked(link.store_id)
    })
    for (const link of links) this.dropUnusedNamespace(link.store_id, link.label)
  }

  async linkStore(request: LinkRequest): Promise<LinkResult> {
    validateLabel(request.label)
    const app = this.requireApp(request.app)
    const store = this.catalog.storeByName(request.store)
    if (!store) {
      throw new NotFoundError(`Key value store "${request.store}" does not exist`, ['Run "kvcloud kv list" to see your stores, or "kvcloud kv create NAME" to make one.'])
    }
    const current = this.catalog.linkOf(app.id, request.label)
    const base = {app: app.name, label: request.label, store: store.name}
    if (current?.store_id === store.id) return {...base, status: 'already-linked'}
    if (current && !request.replace) {
      throw new ConflictError(
        `App "${app.name}"'s "${request.label}" label is currently linked to "${current.store}"`,
        [`Pass --yes to link it to key value store "${store.name}" instead.`],
      )
    }
    this.applyLinks(app.id, [{label: request.label, store}])
    return current ? {...base, status: 'relinked', previousStore: current.store} : {...base, status: 'linked'}
  }

  async unlinkStore(appName: string, label: string): Promise<UnlinkResult> {
    const app = this.requireApp(appName)
    const link = this.catalog.linkOf(app.id, label)
    if (!link) {
      throw new NotFoundError(`No key value store found with label "${label}" for app "${app.name}"`, [
        `Run "kvcloud apps info ${app.name}" to see its links.`,
      ])
    }
    this.catalog.write(() => {
      this.catalog.deleteLink(app.id, label)
      this.keepPrimaryLinked(link.store_id)
    })
    this.dropUnusedNamespace(link.store_id, label)
    return {app: app.name, label, store: link.store}
  }

  async deploy(request: DeployRequest): Promise<DeployResult> {
    validateAppName(request.app.name)
    const declared = declaredLabels(request.app.components)
    declared.forEach(validateLabel)
    const existingApp = this.catalog.appByName(request.app.name)
    const currentLinks = new Map((existingApp ? this.catalog.linksOfApp(existingApp.id) : []).map((l) => [l.label, l]))

    // Validate everything before the first change.
    const wanted = new Map<string, {store: string; create: boolean}>()
    for (const link of request.links) {
      validateLabel(link.label)
      if (!declared.includes(link.label)) {
        throw new InvalidInputError(`Label "${link.label}" is not used by any component of app "${request.app.name}".`)
      }
      if (wanted.has(link.label)) throw new InvalidInputError(`Label ${link.label} is linked more than once`)
      validateStoreName(link.store)
      if (!link.create && !this.catalog.storeByName(link.store)) {
        throw new NotFoundError(`Key value store "${link.store}" does not exist`)
      }
      wanted.set(link.label, {store: link.store, create: link.create})
    }
    const unlinked = declared.filter((label) => !wanted.has(label) && !currentLinks.has(label))
    if (unlinked.length > 0) {
      throw new InvalidInputError(`No link specified for label${unlinked.length > 1 ? 's' : ''} ${unlinked.map((l) => `'${l}'`).join(', ')}`)
    }
    for (const {key, value} of request.seed ?? []) this.validatePair(key, value)
    if (request.seed?.length && !declared.includes('default')) {
      throw new InvalidInputError(`App "${request.app.name}" has no "default" label, so --key-value has no store to seed.`, [
        'Add "default" to a component\'s key_value_stores, or use "kvcloud kv set" on the store you mean.',
      ])
    }

    // New stores get files first; nobody else can see them until the catalog commit.
    const created: StoreRow[] = []
    const changes: Array<{label: string; store: StoreRow; action: DeployAction; previousStore?: string}> = []
    try {
      for (const [label, {store: storeName}] of wanted) {
        let store = this.catalog.storeByName(storeName) ?? created.find((row) => row.name === storeName)
        let action: DeployAction
        if (!store) {
          store = {id: newStoreId(), name: storeName, primary_ns: label, created_at: now()}
          this.openFile(store.id, true)
          created.push(store)
          action = 'created'
        } else {
          const current = currentLinks.get(label)
          action = current === undefined ? 'linked' : current.store_id === store.id ? 'kept' : 'relinked'
        }
        changes.push({label, store, action, previousStore: action === 'relinked' ? currentLinks.get(label)?.store : undefined})
      }
      const now_ = now()
      const saved = this.applyLinks(
        undefined,
        changes.filter((change) => change.action !== 'kept'),
        () => {
          for (const store of created) {
            if (this.catalog.storeByName(store.name)) throw storeExists(store.name)
            this.catalog.insertStore(store)
          }
          return this.catalog.saveApp(request.app, now_)
        },
      )
      const appId = saved.id
      if (request.seed?.length) await this.setValues({app: request.app.name, label: 'default'}, request.seed)
      const finalLinks = this.catalog.linksOfApp(appId)
      const labels = declared.map((label) => {
        const change = changes.find((c) => c.label === label)
        const link = finalLinks.find((l) => l.label === label)!
        return change
          ? {label, store: change.store.name, action: change.action, ...(change.previousStore ? {previousStore: change.previousStore} : {})}
          : {label, store: link.store, action: 'kept' as const}
      })
      const unused = finalLinks.filter((l) => !declared.includes(l.label)).map((l) => ({label: l.label, store: l.store}))
      return {app: request.app.name, revision: saved.revision, labels, unused}
    } catch (error) {
      for (const store of created) this.discardFile(store.id)
      throw error
    }
  }

  async close(): Promise<void> {
    for (const storeId of [...this.files.keys()]) this.closeFile(storeId)
    this.catalog.close()
  }

  // ---- internals ----

  /**
   * Points labels of one app at stores. Order matters for crash safety: copy data into each new
   * namespace first, then commit the catalog (the moment the change becomes real), then drop
   * namespaces nothing uses any more. A crash at any point leaves at worst an unused extra copy.
   */
  private applyLinks<T = {id: number; revision: number}>(
    appId: number | undefined,
    links: Array<{label: string; store: StoreRow}>,
    inCatalogTransaction?: () => T,
  ): T {
    const added: Array<{storeId: string; namespace: string}> = []
    try {
      for (const {label, store} of links) {
        const existing = this.catalog.storeByName(store.name)
        if (!existing) continue // created in this deploy: its file is empty, nothing to copy
        const labels = this.catalog.labelsOfStore(existing.id)
        if (labels.includes(label) || existing.primary_ns === label) continue
        this.openFile(existing.id, false).copyNamespace(existing.primary_ns, label)
        added.push({storeId: existing.id, namespace: label})
      }
    } catch (error) {
      this.rollbackNamespaces(added)
      throw error
    }
    const previous: Array<{storeId: string; label: string}> = []
    let result: T
    try {
      result = this.catalog.write(() => {
        const extra = inCatalogTransaction?.()
        const id = appId ?? (extra as {id: number}).id
        for (const {label, store} of links) {
          const current = this.catalog.linkOf(id, label)
          if (current && current.store_id !== store.id) previous.push({storeId: current.store_id, label})
          const hadLinks = this.catalog.labelsOfStore(store.id).length > 0
          this.catalog.upsertLink(id, label, store.id)
          if (!hadLinks && store.primary_ns !== label) {
            previous.push({storeId: store.id, label: store.primary_ns})
            this.catalog.setPrimaryNamespace(store.id, label)
          }
        }
        for (const {storeId} of previous) this.keepPrimaryLinked(storeId)
        return extra as T
      })
    } catch (error) {
      this.rollbackNamespaces(added)
      throw error
    }
    for (const {storeId, label} of previous) this.dropUnusedNamespace(storeId, label)
    return result
  }

  /** When a store's primary namespace loses its last link but others remain, one of those becomes primary. */
  private keepPrimaryLinked(storeId: string): void {
    const store = this.catalog.storeById(storeId)
    if (!store) return
    const labels = this.catalog.labelsOfStore(storeId)
    if (labels.length > 0 && !labels.includes(store.primary_ns)) this.catalog.setPrimaryNamespace(storeId, labels[0]!)
  }

  /** Drops a namespace no link and no primary needs; the last copy of the data always stays. */
  private dropUnusedNamespace(storeId: string, namespace: string): void {
    const store = this.catalog.storeById(storeId)
    if (!store || store.primary_ns === namespace) return
    if (this.catalog.labelsOfStore(storeId).includes(namespace)) return
    this.openFile(storeId, false).dropNamespace(namespace)
  }

  private rollbackNamespaces(added: Array<{storeId: string; namespace: string}>): void {
    for (const {storeId, namespace} of added) {
      try {
        this.openFile(storeId, false).dropNamespace(namespace)
      } catch {
        // Best effort: an unused copy is harmless, and the original error matters more.
      }
    }
  }

  /**
   * The store a target names and its namespaces. A server asks this on every request, so
   * answers are kept while the catalog's change mark stays the same: any commit to the catalog,
   * by this backend or by another process (`kvcloud` commands, another server), clears them.
   */
  private resolve(target: StoreTarget): ResolvedTarget {
    const mark = this.catalog.changeMark()
    if (mark !== this.resolvedMark) {
      this.resolved.clear()
      this.resolvedMark = mark
    }
    // Only targets that were found are kept, and the catalog's names and labels hold no NUL.
    const key = 'store' in target ? `s\0${target.store}` : `a\0${target.app}\0${target.label}`
    let resolved = this.resolved.get(key)
    if (!resolved) {
      resolved = this.resolveUncached(target)
      // Bounded, so that a flood of distinct names cannot grow it without end.
      if (this.resolved.size >= 1000) this.resolved.clear()
      this.resolved.set(key, resolved)
    }
    return resolved
  }

  private resolveUncached(target: StoreTarget): ResolvedTarget {
    let store: StoreRow
    let readNamespace: string
    if ('store' in target) {
      store = this.requireStore(target.store)
      readNamespace = store.primary_ns
    } else {
      const app = this.requireApp(target.app)
      const link = this.catalog.linkOf(app.id, target.label)
      if (!link) {
        throw new NotFoundError(`No key value store found with label "${target.label}" for app "${app.name}"`, [
          `Run "kvcloud apps info ${app.name}" to see its links.`,
        ])
      }
      store = this.catalog.storeByName(link.store)!
      readNamespace = target.label
    }
    return {store, readNamespace, namespaces: this.namespacesOf(store)}
  }

  private namespacesOf(store: StoreRow): string[] {
    const labels = this.catalog.labelsOfStore(store.id)
    return labels.length > 0 ? labels : [store.primary_ns]
  }

  private requireStore(name: string): StoreRow {
    const store = this.catalog.storeByName(name)
    if (!store) throw new NotFoundError(`No key value store found with name "${name}"`, ['Run "kvcloud kv list" to see your stores.'])
    return store
  }

  private requireApp(name: string): AppRow {
    const app = this.catalog.appByName(name)
    if (!app) throw new NotFoundError(`Could not find app '${name}'`, ['Run "kvcloud apps list" to see your apps; an app comes into being with "kvcloud deploy".'])
    return app
  }

  private storeInfos(rows: StoreRow[]): StoreInfo[] {
    const links = this.catalog.linksOfStores(rows.map((row) => row.id))
    return rows.map((row) => ({
      name: row.name,
      links: links.filter((l) => l.store_id === row.id).map((l) => ({app: l.app, label: l.label})),
      createdAt: row.created_at,
    }))
  }

  private appInfo(row: AppRow): AppInfo {
    const components = JSON.parse(row.components) as AppInfo['components']
    const links: AppLink[] = this.catalog.linksOfApp(row.id).map((l) => ({label: l.label, store: l.store}))
    return {
      name: row.name,
      ...(row.version ? {version: row.version} : {}),
      ...(row.description ? {description: row.description} : {}),
      revision: row.revision,
      createdAt: row.created_at,
      deployedAt: row.deployed_at,
      components,
      labels: declaredLabels(components),
      links,
    }
  }

  private validatePair(key: string, value: Uint8Array): void {
    validateKey(key, this.limits)
    validateValue(key, value, this.limits)
  }

  private filePath(storeId: string): string {
    return join(this.home, 'stores', `${storeId}.db`)
  }

  /**
   * The open handle of a store file. Open files stay within the descriptor budget, least
   * recently used closed first (never one an import is streaming into), so a server whose
   * accounts touch thousands of stores holds a bounded number of file descriptors.
   */
  private openFile(storeId: string, create: boolean): StoreFile {
    const open = this.files.get(storeId)
    if (open) {
      this.openFiles.used(open)
      return open
    }
    const file = new StoreFile(this.filePath(storeId), {create, exclusive: this.exclusive})
    this.files.set(storeId, file)
    this.openFiles.opened(file, {
      descriptors: STORE_FILE_DESCRIPTORS,
      isBusy: () => file.importsInProgress > 0,
      close: () => {
        file.close()
        if (this.files.get(storeId) === file) this.files.delete(storeId)
      },
    })
    return file
  }

  private closeFile(storeId: string): void {
    const file = this.files.get(storeId)
    if (!file) return
    this.openFiles.closed(file)
    file.close()
    this.files.delete(storeId)
  }

  private discardFile(storeId: string): void {
    this.closeFile(storeId)
    StoreFile.removeUnused(this.filePath(storeId))
  }
}

function declaredLabels(components: DeployRequest['app']['components']): string[] {
  return [...new Set(components.flatMap((c) => c.keyValueStores))].sort()
}

function storeExists(name: string): ConflictError {
  return new ConflictError(`Key value store "${name}" already exists`, ['Choose another name, or run "kvcloud kv list" to see your stores.'])
}

function newStoreId(): string {
  return randomBytes(8).toString('hex')
}

function now(): string {
  return new Date().toISOString()
}

function pageSize(limit: number | undefined): number {
  return limit === undefined ? DEFAULT_PAGE : Math.max(1, Math.min(limit, MAX_PAGE))
}

function encodeCursor(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url')
}

function decodeCursor(cursor: string | undefined): string {
  if (cursor === undefined || cursor === '') return ''
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidInputError(`Invalid cursor "${cursor}". Pass the "next" value of a previous listing.`)
  return Buffer.from(cursor, 'base64url').toString('utf8')
}
