import type {AppInfo} from '../backend.js'
import {appNotFound, linksKeptChanging, resourceDeletedMeanwhile, resourceExists} from '../core/facts.js'
import type {AppRecord, CatalogPort, DeployChange, LabelLink, LinkRecord, ResourceKind, ResourceRecord} from '../core/ports.js'
import type {AppRow, Catalog, LinkRow, ResourceRow} from './catalog.js'
import {DATA_NAMESPACE, NamespaceGoneError} from './store-file.js'
import type {StoreFiles} from './store-files.js'

/** Times a link fills its namespaces again when another process dropped one meanwhile. */
const LINK_ATTEMPTS = 5

/**
 * The catalog port over kvcloud's catalog file and the folder's store files. A key-value link
 * is also a namespace in the store's file, which Spin opens by label: linking fills it before
 * the catalog commits, and unlinking drops it after.
 */
export class SqliteCatalog implements CatalogPort {
  constructor(private readonly catalog: Catalog, private readonly files: StoreFiles) {}

  changeMark(): number {
    return this.catalog.changeMark()
  }

  async resourceByName(kind: ResourceKind, name: string): Promise<ResourceRecord | undefined> {
    const row = this.catalog.resourceByName(kind, name)
    return row && resourceRecord(row)
  }

  async resourcesAfter(kind: ResourceKind, after: string, limit: number, app?: string): Promise<ResourceRecord[]> {
    return this.catalog.resourcesAfter(kind, after, limit, app).map(resourceRecord)
  }

  async linksOfResources(ids: string[]): Promise<LinkRecord[]> {
    return this.catalog.linksOfResources(ids).map(linkRecord)
  }

  async appByName(name: string): Promise<AppRecord | undefined> {
    const row = this.catalog.appByName(name)
    return row && appRecord(row)
  }

  async appsAfter(after: string, limit: number): Promise<AppRecord[]> {
    return this.catalog.appsAfter(after, limit).map(appRecord)
  }

  async linksOfApp(appId: number): Promise<LinkRecord[]> {
    return this.catalog.linksOfApp(appId).map(linkRecord)
  }

  async linkOf(appId: number, kind: ResourceKind, label: string): Promise<LinkRecord | undefined> {
    const row = this.catalog.linkOf(appId, kind, label)
    return row && linkRecord(row)
  }

  async createResource(resource: ResourceRecord): Promise<void> {
    await this.files.create([resource.id], async () => {
      this.catalog.write(() => {
        if (this.catalog.resourceByName(resource.kind, resource.name)) throw resourceExists(resource.kind, resource.name)
        this.catalog.insertResource(resourceRow(resource))
      })
    })
  }

  async deleteResource(resource: ResourceRecord): Promise<void> {
    // Recorded as an orphan in the same commit, so a crash while emptying it is finished later.
    this.catalog.write(() => {
      this.catalog.deleteResource(resource.id)
      this.catalog.addOrphans([resource.id], process.pid)
    })
    await this.files.remove(resource.id)
  }

  async renameResource(resource: ResourceRecord, newName: string): Promise<void> {
    this.catalog.write(() => {
      if (this.catalog.resourceByName(resource.kind, newName)) throw resourceExists(resource.kind, newName)
      this.catalog.renameResource(resource.id, newName)
    })
  }

  async setLinks(app: AppRecord, links: LabelLink[]): Promise<void> {
    // Filling the namespaces may take a while: the app must still be the one that was read when the links commit.
    await this.applyLinks(links, () => ({id: this.sameApp(app)}))
  }

  async removeLink(app: AppRecord, link: LinkRecord): Promise<void> {
    this.catalog.write(() => this.catalog.deleteLink(this.sameApp(app), link.kind, link.label))
    await this.files.dropUnusedNamespaces([link.resource.id])
  }

  async deleteApp(app: AppRecord): Promise<void> {
    const links = this.catalog.linksOfApp(app.id)
    this.catalog.write(() => this.catalog.deleteApp(this.sameApp(app)))
    await this.files.dropUnusedNamespaces(links.map((link) => link.resource_id))
  }

  /**
   * Inside a catalog transaction: the id of the app as it was read, or not found when it was
   * deleted since (SQLite may give its id to an app created after it: the name must match too).
   */
  private sameApp(app: AppRecord): number {
    const now = this.catalog.appByName(app.name)
    if (!now || now.id !== app.id) throw appNotFound(app.name)
    return now.id
  }

  async deploy(change: DeployChange): Promise<{appId: number; revision: number}> {
    // New stores get files first; nobody else can see them until the catalog commit, and a
    // crash before it leaves them recorded as orphans, which the next open removes.
    const saved = await this.files.create(change.create.map((resource) => resource.id), () => this.applyLinks(change.links, () => {
      for (const resource of change.create) {
        if (this.catalog.resourceByName(resource.kind, resource.name)) throw resourceExists(resource.kind, resource.name)
        this.catalog.insertResource(resourceRow(resource))
      }
      return this.catalog.saveApp(change.app, change.at)
    }))
    return {appId: saved.id, revision: saved.revision}
  }

  async close(): Promise<void> {
    await this.files.close()
    this.catalog.close()
  }

  /**
   * Points labels at stores, and commits `inCatalogTransaction` with the links. Each label's
   * namespace is filled first (short steps; Spin keeps writing meanwhile), then the links commit
   * in the catalog while every affected store file's write lock is held, then namespaces that no
   * link needs any more are dropped. A crash at any point leaves at worst an extra namespace.
   */
  private async applyLinks<T extends {id: number}>(links: LabelLink[], inCatalogTransaction: () => T): Promise<T> {
    const byStore = new Map<string, {store: ResourceRecord; labels: string[]}>()
    for (const {label, resource} of links) {
      const entry = byStore.get(resource.id) ?? {store: resource, labels: []}
      entry.labels.push(label)
      byStore.set(resource.id, entry)
    }
    // Sorted, so two deploys locking the same files never wait on each other in a circle.
    const groups = [...byStore.values()].sort((a, b) => (a.store.id < b.store.id ? -1 : 1))
    const previous = new Set<string>()
    for (let attempt = 1; ; attempt++) {
      try {
        for (const {store, labels} of groups) {
          const file = this.files.file(store.id)
          for (const label of labels) await file.fillNamespace(label)
        }
        const result = this.withLinkLocks(groups, () => this.catalog.write(() => {
          const extra = inCatalogTransaction()
          for (const {kind, label, resource} of links) {
            if (!this.catalog.resourceById(resource.id)) throw resourceDeletedMeanwhile(resource.kind, resource.name)
            const current = this.catalog.linkOf(extra.id, kind, label)
            if (current && current.resource_id !== resource.id) previous.add(current.resource_id)
            this.catalog.upsertLink(extra.id, kind, label, resource.id)
          }
          return extra
        }))
        await this.files.dropUnusedNamespaces(previous)
        return result
      } catch (error) {
        if (!(error instanceof NamespaceGoneError)) throw error
        if (attempt >= LINK_ATTEMPTS) throw linksKeptChanging(error.message)
        previous.clear()
      }
    }
  }

  /** Runs `commit` while holding the write lock of every group's store file (see StoreFile.linkLabels). */
  private withLinkLocks<T>(groups: Array<{store: ResourceRecord; labels: string[]}>, commit: () => T): T {
    if (groups.length === 0) return commit()
    const [first, ...rest] = groups
    return this.files.file(first!.store.id).linkLabels(first!.labels, () => this.withLinkLocks(rest, commit))
  }
}

export function resourceRecord(row: ResourceRow): ResourceRecord {
  return {id: row.id, kind: row.kind, name: row.name, createdAt: row.created_at}
}

function resourceRow(record: ResourceRecord): ResourceRow {
  return {id: record.id, kind: record.kind, name: record.name, primary_ns: record.kind === 'key-value' ? DATA_NAMESPACE : null, created_at: record.createdAt}
}

export function appRecord(row: AppRow): AppRecord {
  return {
    id: row.id,
    name: row.name,
    ...(row.version ? {version: row.version} : {}),
    ...(row.description ? {description: row.description} : {}),
    revision: row.revision,
    createdAt: row.created_at,
    deployedAt: row.deployed_at,
    components: JSON.parse(row.components) as AppInfo['components'],
  }
}

export function linkRecord(row: LinkRow): LinkRecord {
  return {
    app: row.app,
    kind: row.kind,
    label: row.label,
    resource: {id: row.resource_id, kind: row.kind, name: row.resource, createdAt: row.resource_created_at},
  }
}
