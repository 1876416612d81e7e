import {randomBytes} from 'node:crypto'
import {chmodSync, existsSync, mkdirSync, statSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'
import {join} from 'node:path'
import type {
  AppInfo, AppLink, Backend, BackendDescription, DeployAction, DeployRequest, DeployResult, ImportOptions, ImportResult,
  KeyListOptions, LinkRequest, LinkResult, Limits, Page, PageOptions, Pair, StoreInfo, StoreListOptions, StoreTarget,
  UnlinkResult,
} from '../backend.js'
import {ConflictError, InvalidInputError, NotFoundError, UnavailableError} from '../errors.js'
import {STORED_DATA_LIMITS, validateAppName, validateKey, validateLabel, validateStoreName, validateValue, widerLimits} from '../validation.js'
import {Catalog, type AppRow, type StoreRow} from './catalog.js'
import {isAlive} from './process-alive.js'
import {OpenFileBudget} from './open-file-budget.js'
import {DATA_NAMESPACE, NamespaceGoneError, StoreFile} from './store-file.js'
import type {RuntimeConfigLocation} from '../runtime-config.js'
import {commandLine} from '../cli-name.js'

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

/** How long close() waits for clean-ups a crashed process left (publishing its import, say). */
const BACKGROUND_GRACE_MS = 5000

/** Times a link fills its namespaces again when another process dropped one meanwhile. */
const LINK_ATTEMPTS = 5

const DEFAULT_PAGE = 100
const MAX_PAGE = 1000
const EXPORT_PAGE = 1000
/** Store files a backend keeps open at once (a server serves many stores from one process). */
const MAX_OPEN_FILES = 64
/** An open store file holds its database, its -wal and its -shm (WAL mode). */
export const STORE_FILE_DESCRIPTORS = 3

interface ResolvedTarget {
  store: StoreRow
}

/**
 * The embedded backend: a catalog (stores, apps, links) and one Spin-format file per store,
 * named by a random id so no store name ever reaches the file system.
 */
export class LocalBackend implements Backend {
  readonly kind = 'local' as const
  private readonly files = new Map<string, StoreFile>()
  /** Clean-ups started by opening (a crashed process's leftovers); what fails here, the next open retries. */
  private readonly background = new Set<Promise<void>>()
  /** Targets resolved while the catalog stayed unchanged (see resolve()). */
  private readonly resolved = new Map<string, ResolvedTarget>()
  private resolvedMark = -1

  private constructor(
    readonly home: string,
    private readonly catalog: Catalog,
    readonly limits: Limits,
    private readonly openFiles: OpenFileBudget,
  ) {}

  static open(options: LocalBackendOptions): LocalBackend {
    try {
      // Private to this user: another local user must not read the stores.
      mkdirSync(options.home, {recursive: true, mode: 0o700})
      const stores = join(options.home, 'stores')
      mkdirSync(stores, {recursive: true, mode: 0o700})
      if ((statSync(stores).mode & 0o077) !== 0) chmodSync(stores, 0o700)
    } catch (error) {
      throw new UnavailableError(`Cannot create the kvcloud data folder ${options.home}: ${(error as Error).message}`, [
        'Set KVCLOUD_HOME to a folder you can write to.',
      ])
    }
    const exclusive = options.exclusive ?? false
    const openFiles = options.openFiles ?? new OpenFileBudget(MAX_OPEN_FILES * STORE_FILE_DESCRIPTORS)
    const backend = new LocalBackend(options.home, new Catalog(join(options.home, 'catalog.db'), {exclusive}), options.limits, openFiles)
    // In the background: kvcloud's reads need none of it; close() waits for it.
    backend.inBackground(backend.removeOrphans())
    return backend
  }

  async describe(): Promise<BackendDescription> {
    return {kind: 'local', home: this.home, catalog: this.catalog.path, sqlite: this.catalog.sqlite()}
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
    const row: StoreRow = {id: newStoreId(), name, primary_ns: DATA_NAMESPACE, created_at: now()}
    await this.createFiles([row.id], async () => {
      this.catalog.write(() => {
        if (this.catalog.storeByName(name)) throw storeExists(name)
        this.catalog.insertStore(row)
      })
    })
    return {name, links: [], createdAt: row.created_at}
  }

  async deleteStore(name: string): Promise<void> {
    const store = this.requireStore(name)
    // Recorded as an orphan in the same commit, so a crash while emptying it is finished later.
    this.catalog.write(() => {
      this.catalog.deleteStore(store.id)
      this.catalog.addOrphans([store.id], process.pid)
    })
    await this.removeStoreFile(store.id)
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
    validateKey(key, this.storedLimits)
    const resolved = this.resolve(target)
    const value = this.openFile(resolved.store.id, false).get(key)
    if (value === undefined) {
      throw new NotFoundError(`Key "${key}" not found in key value store "${resolved.store.name}"`, [
        `Run "${commandLine(`kv keys --store ${resolved.store.name}`)}" to see its keys.`,
      ])
    }
    return value
  }

  async setValues(target: StoreTarget, pairs: Pair[]): Promise<void> {
    for (const {key, value} of pairs) this.validatePair(key, value)
    const resolved = this.resolve(target)
    this.openFile(resolved.store.id, false).set(pairs)
  }

  async deleteKeys(target: StoreTarget, keys: string[]): Promise<number> {
    for (const key of keys) validateKey(key, this.storedLimits)
    const resolved = this.resolve(target)
    return this.openFile(resolved.store.id, false).delete(keys)
  }

  async listKeys(target: StoreTarget, options: KeyListOptions = {}): Promise<Page<string>> {
    const resolved = this.resolve(target)
    const limit = options.limit === undefined ? MAX_PAGE : Math.max(1, Math.min(options.limit, 10_000))
    const keys = this.openFile(resolved.store.id, false).keys({
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
        for (const {key, value} of batch) {
          validateKey(key, this.storedLimits)
          validateValue(key, value, this.storedLimits)
        }
        taken += batch.length
        options.onProgress?.(taken)
      },
      () => {
        if (!this.catalog.storeById(resolved.store.id)) {
          throw new NotFoundError(`Key value store "${resolved.store.name}" was deleted while the import ran; nothing was imported.`)
        }
      },
    )
    return {count}
  }

  async *exportPairs(target: StoreTarget): AsyncIterable<Pair> {
    const resolved = this.resolve(target)
    // One moment's pairs, whatever links, writes and deploys happen while the export runs.
    const snapshot = this.openFile(resolved.store.id, false).snapshot()
    try {
      let after: string | undefined
      for (;;) {
        const page = snapshot.pairs(after, EXPORT_PAGE)
        if (page.length === 0) return
        yield* page
        after = page.at(-1)!.key
      }
    } finally {
      snapshot.close()
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

  withAppsHeld<T>(app: string, work: (now: {app?: AppInfo; location?: RuntimeConfigLocation}) => T): T {
    return this.catalog.write(() => {
      const row = this.catalog.appByName(app)
      if (!row) return work({})
      const location = this.catalog.runtimeConfigOf(row.id)
      return work({app: this.appInfo(row), location: location && {runtimeConfig: location.runtime_config, manifest: location.manifest}})
    })
  }

  async deleteApp(name: string): Promise<void> {
    const app = this.requireApp(name)
    const links = this.catalog.linksOfApp(app.id)
    this.catalog.write(() => this.catalog.deleteApp(app.id))
    await this.dropUnusedNamespaces(links.map((link) => link.store_id))
  }

  async linkStore(request: LinkRequest): Promise<LinkResult> {
    validateLabel(request.label)
    const app = this.requireApp(request.app)
    const store = this.catalog.storeByName(request.store)
    if (!store) {
      throw new NotFoundError(`Key value store "${request.store}" does not exist`, [`Run "${commandLine('kv list')}" to see your stores, or "${commandLine('kv create NAME')}" to make one.`])
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
    await this.applyLinks([{label: request.label, store}], () => ({id: this.requireApp(app.name).id}))
    return current ? {...base, status: 'relinked', previousStore: current.store} : {...base, status: 'linked'}
  }

  async unlinkStore(appName: string, label: string): Promise<UnlinkResult> {
    const app = this.requireApp(appName)
    const link = this.catalog.linkOf(app.id, label)
    if (!link) {
      throw new NotFoundError(`No key value store found with label "${label}" for app "${app.name}"`, [
        `Run "${commandLine(`apps info ${app.name}`)}" to see its links.`,
      ])
    }
    this.catalog.write(() => this.catalog.deleteLink(app.id, label))
    await this.dropUnusedNamespaces([link.store_id])
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
        `Add "default" to a component's key_value_stores, or use "${commandLine('kv set')}" on the store you mean.`,
      ])
    }

    // New stores get files first; nobody else can see them until the catalog commit, and a
    // crash before it leaves them recorded as orphans, which the next open removes.
    const created: StoreRow[] = []
    const changes: Array<{label: string; store: StoreRow; action: DeployAction; previousStore?: string}> = []
    for (const [label, {store: storeName}] of wanted) {
      let store = this.catalog.storeByName(storeName) ?? created.find((row) => row.name === storeName)
      let action: DeployAction
      if (!store) {
        store = {id: newStoreId(), name: storeName, primary_ns: DATA_NAMESPACE, created_at: now()}
        created.push(store)
        action = 'created'
      } else {
        const current = currentLinks.get(label)
        action = current === undefined ? 'linked' : current.store_id === store.id ? 'kept' : 'relinked'
      }
      changes.push({label, store, action, previousStore: action === 'relinked' ? currentLinks.get(label)?.store : undefined})
    }
    const now_ = now()
    const saved = await this.createFiles(created.map((store) => store.id), () => this.applyLinks(
      changes.filter((change) => change.action !== 'kept'),
      () => {
        for (const store of created) {
          if (this.catalog.storeByName(store.name)) throw storeExists(store.name)
          this.catalog.insertStore(store)
        }
        return this.catalog.saveApp(request.app, now_)
      },
    ))
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
  }

  async close(): Promise<void> {
    // Clean-ups get a few seconds to finish; what they leave, the next open goes on with.
    await Promise.race([Promise.all(this.background), sleep(BACKGROUND_GRACE_MS, undefined, {ref: false})])
    for (const storeId of [...this.files.keys()]) this.closeFile(storeId)
    this.catalog.close()
  }

  // ---- internals ----

  private inBackground(work: Promise<void>): void {
    const tracked = work.catch(() => undefined).finally(() => this.background.delete(tracked))
    this.background.add(tracked)
  }

  /**
   * Points labels at stores, and commits `inCatalogTransaction` with the links. Each label's
   * namespace is filled first (short steps; Spin keeps writing meanwhile), then the links commit
   * in the catalog while every affected store file's write lock is held, then namespaces that no
   * link needs any more are dropped. A crash at any point leaves at worst an extra namespace.
   */
  private async applyLinks<T extends {id: number}>(links: Array<{label: string; store: StoreRow}>, inCatalogTransaction: () => T): Promise<T> {
    const byStore = new Map<string, {store: StoreRow; labels: string[]}>()
    for (const {label, store} of links) {
      const entry = byStore.get(store.id) ?? {store, labels: []}
      entry.labels.push(label)
      byStore.set(store.id, entry)
    }
    // Sorted, so two deploys locking the same files never wait on each other in a circle.
    const groups = [...byStore.values()].sort((a, b) => (a.store.id < b.store.id ? -1 : 1))
    const previous = new Set<string>()
    for (let attempt = 1; ; attempt++) {
      try {
        for (const {store, labels} of groups) {
          const file = this.openFile(store.id, false)
          for (const label of labels) await file.fillNamespace(label)
        }
        const result = this.withLinkLocks(groups, () => this.catalog.write(() => {
          const extra = inCatalogTransaction()
          for (const {label, store} of links) {
            if (!this.catalog.storeById(store.id)) throw new NotFoundError(`Key value store "${store.name}" was deleted meanwhile`)
            const current = this.catalog.linkOf(extra.id, label)
            if (current && current.store_id !== store.id) previous.add(current.store_id)
            this.catalog.upsertLink(extra.id, label, store.id)
          }
          return extra
        }))
        await this.dropUnusedNamespaces([...previous])
        return result
      } catch (error) {
        if (!(error instanceof NamespaceGoneError)) throw error
        if (attempt >= LINK_ATTEMPTS) {
          throw new UnavailableError(`Other kvcloud commands kept changing the links of this store while label "${error.message}" was being linked; nothing was linked.`, [
            'Run the command again once they have finished.',
          ])
        }
        previous.clear()
      }
    }
  }

  /** Runs `commit` while holding the write lock of every group's store file (see StoreFile.linkLabels). */
  private withLinkLocks<T>(groups: Array<{store: StoreRow; labels: string[]}>, commit: () => T): T {
    if (groups.length === 0) return commit()
    const [first, ...rest] = groups
    return this.openFile(first!.store.id, false).linkLabels(first!.labels, () => this.withLinkLocks(rest, commit))
  }

  /** Stops keeping the namespaces of labels these stores are no longer linked under. */
  private async dropUnusedNamespaces(storeIds: string[]): Promise<void> {
    for (const storeId of new Set(storeIds)) {
      if (!this.catalog.storeById(storeId)) continue
      await this.openFile(storeId, false).dropUnusedNamespaces(() => this.catalog.labelsOfStore(storeId))
    }
  }

  /**
   * Makes files for new stores, then runs `commit`, which makes them real in the catalog. Until
   * then they are recorded as orphans, so a crash leaves nothing that the next open does not remove.
   */
  private async createFiles<T>(storeIds: string[], commit: () => Promise<T>): Promise<T> {
    if (storeIds.length > 0) this.catalog.write(() => this.catalog.addOrphans(storeIds, process.pid))
    try {
      for (const id of storeIds) this.openFile(id, true)
      return await commit()
    } catch (error) {
      for (const id of storeIds) this.discardFile(id)
      throw error
    } finally {
      // Committed or rolled back, these ids are settled either way.
      if (storeIds.length > 0) this.catalog.write(() => this.catalog.removeOrphans(storeIds))
    }
  }

  /** Empties and removes the file of a store no longer in the catalog, then forgets it as an orphan. */
  private async removeStoreFile(storeId: string): Promise<void> {
    const path = this.filePath(storeId)
    if (!existsSync(path)) {
      this.catalog.write(() => this.catalog.removeOrphans([storeId]))
      return
    }
    const file = this.openFile(storeId, false)
    await file.destroy()
    // An import still streaming into it finds the store gone when it commits, and fails then.
    file.afterImports(() => {
      this.closeFile(storeId)
      StoreFile.removeUnused(path)
      this.catalog.write(() => this.catalog.removeOrphans([storeId]))
    })
  }

  /** Removes what a kvcloud that died left: files of stores it was creating or deleting. */
  private async removeOrphans(): Promise<void> {
    for (const {id, owner} of this.catalog.orphans()) {
      if (owner === process.pid || isAlive(owner)) continue
      if (this.catalog.storeById(id)) this.catalog.write(() => this.catalog.removeOrphans([id]))
      else await this.removeStoreFile(id)
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
    if ('store' in target) return {store: this.requireStore(target.store)}
    const app = this.requireApp(target.app)
    const link = this.catalog.linkOf(app.id, target.label)
    if (!link) {
      throw new NotFoundError(`No key value store found with label "${target.label}" for app "${app.name}"`, [
        `Run "${commandLine(`apps info ${app.name}`)}" to see its links.`,
      ])
    }
    return {store: this.catalog.storeById(link.store_id)!}
  }

  private requireStore(name: string): StoreRow {
    const store = this.catalog.storeByName(name)
    if (!store) throw new NotFoundError(`No key value store found with name "${name}"`, [`Run "${commandLine('kv list')}" to see your stores.`])
    return store
  }

  private requireApp(name: string): AppRow {
    const app = this.catalog.appByName(name)
    if (!app) throw new NotFoundError(`Could not find app '${name}'`, [`Run "${commandLine('apps list')}" to see your apps; an app comes into being with "${commandLine('deploy')}".`])
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

  /** What reads and imports accept: data Spin wrote past the write limits still round-trips. */
  private get storedLimits(): Limits {
    return widerLimits(this.limits, STORED_DATA_LIMITS)
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
    // Never held exclusively, even by the server: an export reads its snapshot on a second connection.
    const file = new StoreFile(this.filePath(storeId), {create})
    if (file.legacy) {
      const store = this.catalog.storeById(storeId)
      file.upgrade(store?.primary_ns ?? DATA_NAMESPACE, this.catalog.labelsOfStore(storeId))
    }
    // In the background, as removeOrphans: reads look through a committed import meanwhile.
    this.inBackground(file.recover())
    // Labels the catalog links but the file does not keep in step are adopted (see adoptNamespace).
    if (!create) {
      const complete = new Set(file.namespaces().filter((ns) => ns.complete).map((ns) => ns.name))
      const adrift = this.catalog.labelsOfStore(storeId).filter((label) => !complete.has(label))
      if (adrift.length > 0) this.inBackground((async () => {
        for (const label of adrift) await file.adoptNamespace(label)
      })())
    }
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
  return new ConflictError(`Key value store "${name}" already exists`, [`Choose another name, or run "${commandLine('kv list')}" to see your stores.`])
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
