import type {
  AppInfo, Backend, BackendDescription, DeployAction, DeployRequest, DeployResult, ImportOptions, ImportResult, KeyListOptions,
  LinkRequest, LinkResult, Limits, Page, PageOptions, Pair, StoreInfo, StoreListOptions, StoreTarget, UnlinkResult,
} from '../backend.js'
import {STORED_DATA_LIMITS, validateAppName, validateKey, validateLabel, validateStoreName, validateValue, widerLimits} from '../validation.js'
import {
  appNotFound, keyNotFound, labelLinkedElsewhere, labelNotLinked, labelsUnlinked, linkTargetMissing, resourceExists, resourceNotFound,
} from './facts.js'
import {decodeCursor, MAX_KEY_PAGE, MAX_PAGE, pageOf, pageSize} from './paging.js'
import type {AppRecord, CatalogPort, KeyValueDataPort, LabelLink, LinkRecord, ResourceKind, ResourceRecord} from './ports.js'
import {declaredLabels, requireDeclared, requireDistinctLabels, requireLinkableKind, requireSeedLabel, SEED_LABEL} from './rules.js'

const KV = 'key-value' as const

/** Targets kept at most while the catalog stays unchanged, so a flood of names cannot grow it without end. */
const MAX_RESOLVED = 1000

export interface CorePorts {
  catalog: CatalogPort
  keyValue: KeyValueDataPort
  /** A fresh id for a resource this backend creates. */
  newId(): string
}

/**
 * Every rule of stores, apps, links and deploys, once, over the storage ports. The embedded
 * backend and the server's accounts are this class over SQLite; the HTTP client reaches one
 * over the wire. Failures are the core's errors (facts.ts), never an implementation's own.
 */
export abstract class CoreBackend implements Backend {
  abstract readonly kind: Backend['kind']
  /** Targets resolved while the catalog's change mark stayed the same (see resolve()). */
  private readonly resolved = new Map<string, ResourceRecord>()
  private resolvedMark = -1

  protected constructor(protected readonly ports: CorePorts, readonly limits: Limits) {}

  abstract describe(): Promise<BackendDescription>

  private get catalog(): CatalogPort {
    return this.ports.catalog
  }

  private get data(): KeyValueDataPort {
    return this.ports.keyValue
  }

  // ---- Stores ----

  async listStores(options: StoreListOptions = {}): Promise<Page<StoreInfo>> {
    if (options.app !== undefined) await this.requireApp(options.app)
    const limit = pageSize(options.limit)
    const rows = await this.catalog.resourcesAfter(KV, decodeCursor(options.cursor), limit + 1, options.app)
    const page = pageOf(rows, limit, (row) => row, (row) => row.name)
    return {items: await this.storeInfos(page.items), next: page.next}
  }

  async getStore(name: string): Promise<StoreInfo> {
    return (await this.storeInfos([await this.requireStore(name)]))[0]!
  }

  async createStore(name: string): Promise<StoreInfo> {
    validateStoreName(name)
    if (await this.catalog.resourceByName(KV, name)) throw resourceExists(KV, name)
    const record: ResourceRecord = {id: this.ports.newId(), kind: KV, name, createdAt: now()}
    await this.catalog.createResource(record)
    return {name, links: [], createdAt: record.createdAt}
  }

  async deleteStore(name: string): Promise<void> {
    await this.catalog.deleteResource(await this.requireStore(name))
  }

  async renameStore(name: string, newName: string): Promise<void> {
    validateStoreName(newName)
    const store = await this.requireStore(name)
    if (name === newName) return
    await this.catalog.renameResource(store, newName)
  }

  // ---- Pairs ----

  async getValue(target: StoreTarget, key: string): Promise<Uint8Array> {
    validateKey(key, this.storedLimits)
    const store = await this.resolve(target)
    const value = await this.data.get(store, key)
    if (value === undefined) throw keyNotFound(store.name, key)
    return value
  }

  async setValues(target: StoreTarget, pairs: Pair[]): Promise<void> {
    for (const {key, value} of pairs) this.validatePair(key, value)
    await this.data.set(await this.resolve(target), pairs)
  }

  async deleteKeys(target: StoreTarget, keys: string[]): Promise<number> {
    for (const key of keys) validateKey(key, this.storedLimits)
    return this.data.delete(await this.resolve(target), keys)
  }

  async listKeys(target: StoreTarget, options: KeyListOptions = {}): Promise<Page<string>> {
    const store = await this.resolve(target)
    const limit = pageSize(options.limit, MAX_PAGE, MAX_KEY_PAGE)
    const keys = await this.data.keys(store, {
      prefix: options.prefix || undefined,
      after: options.cursor === undefined ? undefined : decodeCursor(options.cursor),
      limit: limit + 1,
    })
    return pageOf(keys, limit, (key) => key, (key) => key)
  }

  async importPairs(target: StoreTarget, batches: AsyncIterable<Pair[]>, options: ImportOptions = {}): Promise<ImportResult> {
    const store = await this.resolve(target)
    let taken = 0
    const count = await this.data.import(store, batches, (batch) => {
      // What reads accept: data Spin wrote past the write limits still round-trips through an export.
      for (const {key, value} of batch) {
        validateKey(key, this.storedLimits)
        validateValue(key, value, this.storedLimits)
      }
      taken += batch.length
      options.onProgress?.(taken)
    })
    return {count}
  }

  async *exportPairs(target: StoreTarget): AsyncIterable<Pair> {
    yield* this.data.export(await this.resolve(target))
  }

  // ---- Apps and links ----

  async listApps(options: PageOptions = {}): Promise<Page<AppInfo>> {
    const limit = pageSize(options.limit)
    const rows = await this.catalog.appsAfter(decodeCursor(options.cursor), limit + 1)
    const page = pageOf(rows, limit, (row) => row, (row) => row.name)
    return {items: await Promise.all(page.items.map((row) => this.appInfo(row))), next: page.next}
  }

  async getApp(name: string): Promise<AppInfo> {
    return this.appInfo(await this.requireApp(name))
  }

  async deleteApp(name: string): Promise<void> {
    await this.catalog.deleteApp(await this.requireApp(name))
  }

  async linkStore(request: LinkRequest): Promise<LinkResult> {
    requireLinkableKind(request.kind ?? KV)
    validateLabel(request.label)
    const app = await this.requireApp(request.app)
    const store = await this.catalog.resourceByName(KV, request.store)
    if (!store) throw linkTargetMissing(KV, request.store)
    requireDeclared(app.name, KV, request.label, declaredLabels(app.components), {allowUndeclared: request.allowUndeclared})
    const current = await this.catalog.linkOf(app.id, KV, request.label)
    const base = {app: app.name, kind: KV, label: request.label, store: store.name}
    if (current?.resource.id === store.id) return {...base, status: 'already-linked'}
    if (current && !request.replace) throw labelLinkedElsewhere(app.name, KV, request.label, current.resource.name, store.name)
    await this.catalog.setLinks(app, [{kind: KV, label: request.label, resource: store}])
    return current ? {...base, status: 'relinked', previousStore: current.resource.name} : {...base, status: 'linked'}
  }

  async unlinkStore(appName: string, label: string, kind: ResourceKind = KV): Promise<UnlinkResult> {
    requireLinkableKind(kind)
    const app = await this.requireApp(appName)
    const link = await this.catalog.linkOf(app.id, KV, label)
    if (!link) throw labelNotLinked(app.name, KV, label)
    await this.catalog.removeLink(app, link)
    return {app: app.name, kind: KV, label, store: link.resource.name}
  }

  async deploy(request: DeployRequest): Promise<DeployResult> {
    validateAppName(request.app.name)
    const declared = declaredLabels(request.app.components)
    declared.forEach(validateLabel)
    const existingApp = await this.catalog.appByName(request.app.name)
    const currentLinks = new Map((existingApp ? await this.catalog.linksOfApp(existingApp.id) : [])
      .filter((link) => link.kind === KV).map((link) => [link.label, link]))

    // Every rule is checked before the first change.
    request.links.forEach((link) => validateLabel(link.label))
    requireDistinctLabels(request.links.map((link) => ({kind: KV, label: link.label})))
    for (const link of request.links) {
      requireDeclared(request.app.name, KV, link.label, declared)
      validateStoreName(link.store)
      if (!link.create && !(await this.catalog.resourceByName(KV, link.store))) throw linkTargetMissing(KV, link.store)
    }
    const wanted = new Map(request.links.map((link) => [link.label, link.store]))
    const unlinked = declared.filter((label) => !wanted.has(label) && !currentLinks.has(label))
    if (unlinked.length > 0) throw labelsUnlinked(unlinked)
    for (const {key, value} of request.seed ?? []) this.validatePair(key, value)
    if (request.seed?.length) requireSeedLabel(request.app.name, declared)

    const at = now()
    const created: ResourceRecord[] = []
    const changes: Array<{label: string; store: ResourceRecord; action: DeployAction; previousStore?: string}> = []
    for (const [label, storeName] of wanted) {
      let store = (await this.catalog.resourceByName(KV, storeName)) ?? created.find((row) => row.name === storeName)
      let action: DeployAction
      if (!store) {
        store = {id: this.ports.newId(), kind: KV, name: storeName, createdAt: at}
        created.push(store)
        action = 'created'
      } else {
        const current = currentLinks.get(label)
        action = current === undefined ? 'linked' : current.resource.id === store.id ? 'kept' : 'relinked'
      }
      changes.push({label, store, action, previousStore: action === 'relinked' ? currentLinks.get(label)?.resource.name : undefined})
    }
    const links: LabelLink[] = changes.filter((change) => change.action !== 'kept').map((change) => ({kind: KV, label: change.label, resource: change.store}))
    const saved = await this.catalog.deploy({app: request.app, create: created, links, at})
    if (request.seed?.length) await this.setValues({app: request.app.name, label: SEED_LABEL}, request.seed)

    const finalLinks = (await this.catalog.linksOfApp(saved.appId)).filter((link) => link.kind === KV)
    const labels = declared.map((label) => {
      const change = changes.find((c) => c.label === label)
      const link = finalLinks.find((l) => l.label === label)!
      return change
        ? {label, store: change.store.name, action: change.action, ...(change.previousStore ? {previousStore: change.previousStore} : {})}
        : {label, store: link.resource.name, action: 'kept' as const}
    })
    const unused = finalLinks.filter((l) => !declared.includes(l.label)).map((l) => ({kind: l.kind, label: l.label, store: l.resource.name}))
    return {app: request.app.name, revision: saved.revision, labels, unused}
  }

  async close(): Promise<void> {
    await this.catalog.close()
  }

  // ---- internals ----

  /**
   * The store a target names. A server asks this on every request, so answers are kept while
   * the catalog's change mark stays the same (when the catalog has one): any commit to the
   * catalog, by this backend or by another process, clears them.
   */
  protected async resolve(target: StoreTarget): Promise<ResourceRecord> {
    const mark = this.catalog.changeMark?.()
    if (mark === undefined) return this.resolveUncached(target)
    if (mark !== this.resolvedMark) {
      this.resolved.clear()
      this.resolvedMark = mark
    }
    // Only targets that were found are kept, and names and labels hold no NUL.
    const key = 'store' in target ? `s\0${target.store}` : `a\0${target.app}\0${target.label}`
    const kept = this.resolved.get(key)
    if (kept) return kept
    const resolved = await this.resolveUncached(target)
    // Kept only if nothing committed while it was read (the reads are asynchronous).
    if (this.resolvedMark === mark && this.catalog.changeMark?.() === mark) {
      if (this.resolved.size >= MAX_RESOLVED) this.resolved.clear()
      this.resolved.set(key, resolved)
    }
    return resolved
  }

  private async resolveUncached(target: StoreTarget): Promise<ResourceRecord> {
    if ('store' in target) return this.requireStore(target.store)
    const app = await this.requireApp(target.app)
    const link = await this.catalog.linkOf(app.id, KV, target.label)
    if (!link) throw labelNotLinked(app.name, KV, target.label)
    return link.resource
  }

  protected async requireStore(name: string): Promise<ResourceRecord> {
    const store = await this.catalog.resourceByName(KV, name)
    if (!store) throw resourceNotFound(KV, name)
    return store
  }

  protected async requireApp(name: string): Promise<AppRecord> {
    const app = await this.catalog.appByName(name)
    if (!app) throw appNotFound(name)
    return app
  }

  private async storeInfos(rows: ResourceRecord[]): Promise<StoreInfo[]> {
    const links = await this.catalog.linksOfResources(rows.map((row) => row.id))
    return rows.map((row) => ({
      name: row.name,
      links: links.filter((l) => l.resource.id === row.id).map((l) => ({app: l.app, label: l.label})),
      createdAt: row.createdAt,
    }))
  }

  protected async appInfo(row: AppRecord): Promise<AppInfo> {
    return appInfoOf(row, await this.catalog.linksOfApp(row.id))
  }

  /** What reads and imports accept: data Spin wrote past the write limits still round-trips. */
  private get storedLimits(): Limits {
    return widerLimits(this.limits, STORED_DATA_LIMITS)
  }

  private validatePair(key: string, value: Uint8Array): void {
    validateKey(key, this.limits)
    validateValue(key, value, this.limits)
  }
}

/** An app as the Backend interface shows it, from its record and its links. */
export function appInfoOf(row: AppRecord, links: LinkRecord[]): AppInfo {
  return {
    name: row.name,
    ...(row.version ? {version: row.version} : {}),
    ...(row.description ? {description: row.description} : {}),
    revision: row.revision,
    createdAt: row.createdAt,
    deployedAt: row.deployedAt,
    components: row.components,
    labels: declaredLabels(row.components),
    // Key-value links: what AppInfo's readers (deploy planning, runtime configs, apps info) mean by links today.
    links: links.filter((link) => link.kind === KV).map((link) => ({kind: link.kind, label: link.label, store: link.resource.name})),
  }
}

function now(): string {
  return new Date().toISOString()
}
