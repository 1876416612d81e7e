import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import type {Catalog} from './catalog.js'
import {isAlive} from './process-alive.js'
import {OpenFileBudget} from './open-file-budget.js'
import {DATA_NAMESPACE, StoreFile} from './store-file.js'

/** An open store file holds its database, its -wal and its -shm (WAL mode). */
export const STORE_FILE_DESCRIPTORS = 3
/** Store files one folder keeps open at once when it has no budget of its own (a server's accounts share one). */
export const MAX_OPEN_FILES = 64
/** How long close() waits for clean-ups a crashed process left (publishing its import, say). */
const BACKGROUND_GRACE_MS = 5000

/**
 * The Spin-format files of a folder's stores, one per store, named by its random id so that no
 * store name ever reaches the file system: their open handles, their creation and removal, and
 * the clean-ups a crashed kvcloud left. Files are made before the catalog commit that makes
 * their stores real, recorded meanwhile as orphans, so a crash leaves nothing the next open
 * does not remove.
 */
export class StoreFiles {
  private readonly open = new Map<string, StoreFile>()
  /** Clean-ups started by opening; what fails here, the next open retries. */
  private readonly background = new Set<Promise<void>>()

  constructor(readonly folder: string, private readonly catalog: Catalog, private readonly budget: OpenFileBudget) {
    // In the background: kvcloud's reads need none of it; close() waits for it.
    this.inBackground(this.removeOrphans())
  }

  path(storeId: string): string {
    return join(this.folder, `${storeId}.db`)
  }

  /**
   * The open handle of a store file. Open files stay within the descriptor budget, least
   * recently used closed first (never one an import is streaming into), so a server whose
   * accounts touch thousands of stores holds a bounded number of file descriptors.
   */
  file(storeId: string, create = false): StoreFile {
    const open = this.open.get(storeId)
    if (open) {
      this.budget.used(open)
      return open
    }
    // Never held exclusively, even by the server: an export reads its snapshot on a second connection.
    const file = new StoreFile(this.path(storeId), {create})
    if (file.legacy) {
      const store = this.catalog.resourceById(storeId)
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
    this.open.set(storeId, file)
    this.budget.opened(file, {
      descriptors: STORE_FILE_DESCRIPTORS,
      isBusy: () => file.importsInProgress > 0,
      close: () => {
        file.close()
        if (this.open.get(storeId) === file) this.open.delete(storeId)
      },
    })
    return file
  }

  /**
   * Makes files for new stores, then runs `commit`, which makes them real in the catalog. Until
   * then they are recorded as orphans, so a crash leaves nothing that the next open does not remove.
   */
  async create<T>(storeIds: string[], commit: () => Promise<T>): Promise<T> {
    if (storeIds.length > 0) this.catalog.write(() => this.catalog.addOrphans(storeIds, process.pid))
    try {
      for (const id of storeIds) this.file(id, true)
      return await commit()
    } catch (error) {
      for (const id of storeIds) this.discard(id)
      throw error
    } finally {
      // Committed or rolled back, these ids are settled either way.
      if (storeIds.length > 0) this.catalog.write(() => this.catalog.removeOrphans(storeIds))
    }
  }

  /** Empties and removes the file of a store no longer in the catalog, then forgets it as an orphan. */
  async remove(storeId: string): Promise<void> {
    const path = this.path(storeId)
    if (!existsSync(path)) {
      this.catalog.write(() => this.catalog.removeOrphans([storeId]))
      return
    }
    const file = this.file(storeId)
    await file.destroy()
    // An import still streaming into it finds the store gone when it commits, and fails then.
    file.afterImports(() => {
      this.closeFile(storeId)
      StoreFile.removeUnused(path)
      this.catalog.write(() => this.catalog.removeOrphans([storeId]))
    })
  }

  /** Stops keeping the namespaces of labels these stores are no longer linked under. */
  async dropUnusedNamespaces(storeIds: Iterable<string>): Promise<void> {
    for (const storeId of new Set(storeIds)) {
      if (!this.catalog.resourceById(storeId)) continue
      await this.file(storeId).dropUnusedNamespaces(() => this.catalog.labelsOfStore(storeId))
    }
  }

  async close(): Promise<void> {
    // Clean-ups get a few seconds to finish; what they leave, the next open goes on with.
    await Promise.race([Promise.all(this.background), sleep(BACKGROUND_GRACE_MS, undefined, {ref: false})])
    for (const storeId of [...this.open.keys()]) this.closeFile(storeId)
  }

  private inBackground(work: Promise<void>): void {
    const tracked = work.catch(() => undefined).finally(() => this.background.delete(tracked))
    this.background.add(tracked)
  }

  /** Removes what a kvcloud that died left: files of stores it was creating or deleting. */
  private async removeOrphans(): Promise<void> {
    for (const {id, owner} of this.catalog.orphans()) {
      if (owner === process.pid || isAlive(owner)) continue
      if (this.catalog.resourceById(id)) this.catalog.write(() => this.catalog.removeOrphans([id]))
      else await this.remove(id)
    }
  }

  private closeFile(storeId: string): void {
    const file = this.open.get(storeId)
    if (!file) return
    this.budget.closed(file)
    file.close()
    this.open.delete(storeId)
  }

  private discard(storeId: string): void {
    this.closeFile(storeId)
    StoreFile.removeUnused(this.path(storeId))
  }
}
