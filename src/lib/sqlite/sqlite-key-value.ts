import type {Pair} from '../backend.js'
import {storeDeletedDuringImport} from '../core/facts.js'
import type {KeyValueDataPort, ResourceRecord} from '../core/ports.js'
import type {Catalog} from './catalog.js'
import type {StoreFiles} from './store-files.js'

/** Pairs an export reads per step of its snapshot. */
const EXPORT_PAGE = 1000

/** The key-value data port over the folder's Spin-format store files. */
export class SqliteKeyValue implements KeyValueDataPort {
  constructor(private readonly catalog: Catalog, private readonly files: StoreFiles) {}

  async get(store: ResourceRecord, key: string): Promise<Uint8Array | undefined> {
    return this.files.file(store.id).get(key)
  }

  async set(store: ResourceRecord, pairs: Pair[]): Promise<void> {
    this.files.file(store.id).set(pairs)
  }

  async delete(store: ResourceRecord, keys: string[]): Promise<number> {
    return this.files.file(store.id).delete(keys)
  }

  async keys(store: ResourceRecord, options: {prefix?: string; after?: string; limit: number}): Promise<string[]> {
    return this.files.file(store.id).keys(options)
  }

  async import(store: ResourceRecord, batches: AsyncIterable<Pair[]>, onBatch: (batch: Pair[]) => void): Promise<number> {
    return this.files.file(store.id).importPairs(batches, onBatch, () => {
      if (!this.catalog.resourceById(store.id)) throw storeDeletedDuringImport(store.name)
    })
  }

  async *export(store: ResourceRecord): AsyncIterable<Pair> {
    // One moment's pairs, whatever links, writes and deploys happen while the export runs.
    const snapshot = this.files.file(store.id).snapshot()
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
}
