import {rmSync} from 'node:fs'
import type {Pair} from '../backend.js'
import {toBuffer} from '../bytes.js'
import type {Statement} from 'better-sqlite3'
import {damagedFileError, openDatabase, writeTransaction, type Db, type OpenOptions} from './sqlite.js'

const WHAT = 'store file'

let importCounter = 0

/** Rows per multi-row upsert (3 parameters each, well under SQLite's limit of 32,766). */
const ROWS_PER_UPSERT = 64


/**
 * One key-value store on disk, in Spin's own format: table `spin_key_value(store, key, value)`,
 * where `store` is the label a component opens. The file holds one namespace per label the store
 * is linked under; kvcloud writes reach every namespace in one short transaction. The journal
 * mode is never changed (Spin expects a rollback journal); only the server, which owns its files,
 * holds their locks while they are open.
 */
export class StoreFile {
  private readonly db: Db
  private readonly statements
  private upsertRowsStatement?: Statement<unknown[]>

  /** Imports under way; a file with one must stay open (see LocalBackend's handle cache). */
  importsInProgress = 0

  constructor(readonly path: string, options: OpenOptions) {
    this.db = openDatabase(path, WHAT, options)
    try {
      this.db.exec(`CREATE TABLE IF NOT EXISTS spin_key_value (
        store TEXT NOT NULL,
        key   TEXT NOT NULL,
        value BLOB NOT NULL,
        PRIMARY KEY (store, key)
      )`)
    } catch (error) {
      this.db.close()
      throw damagedFileError(path, WHAT, error)
    }
    // Spin's own statements, so what kvcloud writes is what `spin up` reads.
    this.statements = {
      get: this.db.prepare<[string, string], {value: Buffer}>('SELECT value FROM spin_key_value WHERE store = ? AND key = ?'),
      set: this.db.prepare<[string, string, Buffer]>(
        'INSERT INTO spin_key_value (store, key, value) VALUES (?, ?, ?) ON CONFLICT (store, key) DO UPDATE SET value = excluded.value',
      ),
      delete: this.db.prepare<[string, string]>('DELETE FROM spin_key_value WHERE store = ? AND key = ?'),
      keysAfter: this.db.prepare<[string, string, number], {key: string}>(
        'SELECT key FROM spin_key_value WHERE store = ? AND key > ? ORDER BY key LIMIT ?',
      ),
      keysFrom: this.db.prepare<[string, string, number], {key: string}>(
        'SELECT key FROM spin_key_value WHERE store = ? AND key >= ? ORDER BY key LIMIT ?',
      ),
      keysInRangeAfter: this.db.prepare<[string, string, string, number], {key: string}>(
        'SELECT key FROM spin_key_value WHERE store = ? AND key > ? AND key < ? ORDER BY key LIMIT ?',
      ),
      keysInRangeFrom: this.db.prepare<[string, string, string, number], {key: string}>(
        'SELECT key FROM spin_key_value WHERE store = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?',
      ),
      pairsFirst: this.db.prepare<[string, number], {key: string; value: Buffer}>(
        'SELECT key, value FROM spin_key_value WHERE store = ? ORDER BY key LIMIT ?',
      ),
      pairsAfter: this.db.prepare<[string, string, number], {key: string; value: Buffer}>(
        'SELECT key, value FROM spin_key_value WHERE store = ? AND key > ? ORDER BY key LIMIT ?',
      ),
      clearNamespace: this.db.prepare<[string]>('DELETE FROM spin_key_value WHERE store = ?'),
      renameNamespace: this.db.prepare<[string, string]>('UPDATE spin_key_value SET store = ? WHERE store = ?'),
      copyNamespace: this.db.prepare<[string, string]>(
        'INSERT INTO spin_key_value (store, key, value) SELECT ?, key, value FROM spin_key_value WHERE store = ?',
      ),
    }
  }

  get(namespace: string, key: string): Buffer | undefined {
    return this.statements.get.get(namespace, key)?.value
  }

  /** Writes every pair into every namespace in one transaction. */
  set(namespaces: string[], pairs: Pair[]): void {
    this.write(() => {
      for (const namespace of namespaces) this.upsertMany(namespace, pairs)
    })
  }

  /** Deletes keys from every namespace; returns how many existed in the first one. */
  delete(namespaces: string[], keys: string[]): number {
    return this.write(() => {
      let existed = 0
      namespaces.forEach((namespace, index) => {
        for (const key of keys) {
          const {changes} = this.statements.delete.run(namespace, key)
          if (index === 0) existed += changes
        }
      })
      return existed
    })
  }

  /** Up to `limit` keys in byte order, after `after` (exclusive) and within `prefix`. */
  keys(namespace: string, options: {prefix?: string; after?: string; limit: number}): string[] {
    const {prefix, after, limit} = options
    const start = after !== undefined && (prefix === undefined || after >= prefix) ? after : prefix
    const startInclusive = start === prefix && start !== undefined && start !== after
    const end = prefix ? prefixUpperBound(prefix) : undefined
    let rows: Array<{key: string}>
    if (end === undefined) {
      rows = startInclusive
        ? this.statements.keysFrom.all(namespace, start ?? '', limit)
        : this.statements.keysAfter.all(namespace, start ?? '', limit)
      if (prefix) rows = rows.filter((row) => row.key.startsWith(prefix))
    } else {
      rows = startInclusive
        ? this.statements.keysInRangeFrom.all(namespace, start ?? '', end, limit)
        : this.statements.keysInRangeAfter.all(namespace, start ?? '', end, limit)
    }
    return rows.map((row) => row.key)
  }

  /** A page of pairs in key order; each page is its own short read, so Spin's writers are never held up. */
  pairs(namespace: string, after: string | undefined, limit: number): Pair[] {
    const rows = after === undefined
      ? this.statements.pairsFirst.all(namespace, limit)
      : this.statements.pairsAfter.all(namespace, after, limit)
    return rows.map((row) => ({key: row.key, value: row.value}))
  }

  /** Makes `to` a copy of `from` (or, when `from` goes away, moves it without copying). */
  copyNamespace(from: string, to: string): void {
    if (from === to) return
    this.write(() => {
      this.statements.clearNamespace.run(to)
      this.statements.copyNamespace.run(to, from)
    })
  }

  renameNamespace(from: string, to: string): void {
    if (from === to) return
    this.write(() => {
      this.statements.clearNamespace.run(to)
      this.statements.renameNamespace.run(to, from)
    })
  }

  dropNamespace(namespace: string): void {
    this.write(() => this.statements.clearNamespace.run(namespace))
  }

  /** Deletes every row (a running `spin up` may hold the file open, so the file itself stays). */
  clear(): void {
    this.write(() => this.db.prepare('DELETE FROM spin_key_value').run())
  }

  /**
   * Imports staged pairs: they are first written to a private temporary table (no lock on the
   * store), then applied to every namespace in one short transaction, all or nothing.
   * `namespacesAtApply` may throw to abandon the import before anything is applied.
   */
  async importPairs(
    batches: AsyncIterable<Pair[]>,
    onBatch: (pairs: Pair[]) => void,
    namespacesAtApply: () => string[],
  ): Promise<number> {
    // An import that arrives as one batch (a parsed JSON array, a small NDJSON file) is already
    // in memory and is applied straight from it. A second batch means a stream of unknown size:
    // everything spills into a private temporary table (each import its own, so imports side by
    // side in one server never mix), keeping memory flat at any size. Either way nothing touches
    // the store until the one short transaction at the end.
    let single: Pair[] | undefined
    let staging: string | undefined
    this.importsInProgress++
    try {
      for await (const batch of batches) {
        onBatch(batch)
        if (!staging && !single) {
          single = batch
          continue
        }
        if (!staging) {
          staging = `import_staging_${++importCounter}`
          this.db.exec(`CREATE TEMP TABLE ${staging} (key TEXT PRIMARY KEY, value BLOB NOT NULL)`)
          // The staging table lives in a temp file; a small page cache for it keeps a
          // million-pair import's memory flat (better-sqlite3's default is 16 MB per schema).
          this.db.pragma('temp.cache_size = -2000')
          this.stage(staging, single!)
          single = undefined
        }
        this.stage(staging, batch)
      }
      // Asked only now: links may have changed, or the store gone, while the pairs streamed in.
      const namespaces = namespacesAtApply()
      if (!staging) {
        const pairs = single ?? []
        this.write(() => {
          for (const namespace of namespaces) this.upsertMany(namespace, pairs)
        })
        return new Set(pairs.map((pair) => pair.key)).size
      }
      const apply = this.db.prepare<[string]>(
        `INSERT INTO spin_key_value (store, key, value) SELECT ?, key, value FROM temp.${staging} WHERE true ` +
          'ON CONFLICT (store, key) DO UPDATE SET value = excluded.value',
      )
      this.write(() => {
        for (const namespace of namespaces) apply.run(namespace)
      })
      return (this.db.prepare(`SELECT count(*) AS n FROM temp.${staging}`).get() as {n: number}).n
    } finally {
      this.importsInProgress--
      if (staging && this.db.open) this.db.exec(`DROP TABLE IF EXISTS temp.${staging}`)
    }
  }

  /** Adds pairs to an import's temporary table (a later duplicate replaces an earlier one). */
  private stage(table: string, pairs: Pair[]): void {
    const sql = (rows: number) => `INSERT OR REPLACE INTO temp.${table} (key, value) VALUES ${Array(rows).fill('(?, ?)').join(', ')}`
    const many = this.db.prepare<unknown[]>(sql(ROWS_PER_UPSERT))
    const one = this.db.prepare<unknown[]>(sql(1))
    this.db.transaction(() => {
      const args: unknown[] = []
      for (const {key, value} of pairs) {
        args.push(key, toBuffer(value))
        if (args.length === ROWS_PER_UPSERT * 2) {
          many.run(args)
          args.length = 0
        }
      }
      for (let i = 0; i < args.length; i += 2) one.run(args[i], args[i + 1])
    })()
  }

  close(): void {
    if (this.db.open) this.db.close()
  }

  /** Removes a file nobody else can have open (one made for a deploy that was rolled back). */
  static removeUnused(path: string): void {
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(path + suffix, {force: true})
  }

  /**
   * Spin's upsert, many rows per statement: SQLite runs them in order, so the result is the
   * same as one statement per pair, at about half the cost for large writes. Call inside a write.
   */
  private upsertMany(namespace: string, pairs: Pair[]): void {
    const args: unknown[] = []
    for (const {key, value} of pairs) {
      args.push(namespace, key, toBuffer(value))
      if (args.length === ROWS_PER_UPSERT * 3) {
        this.upsertRows.run(args)
        args.length = 0
      }
    }
    for (let i = 0; i < args.length; i += 3) this.statements.set.run(args[i] as string, args[i + 1] as string, args[i + 2] as Buffer)
  }

  private get upsertRows(): Statement<unknown[]> {
    this.upsertRowsStatement ??= this.db.prepare(
      'INSERT INTO spin_key_value (store, key, value) VALUES ' + Array(ROWS_PER_UPSERT).fill('(?, ?, ?)').join(', ') +
        ' ON CONFLICT (store, key) DO UPDATE SET value = excluded.value',
    )
    return this.upsertRowsStatement
  }

  private write<T>(work: () => T): T {
    return writeTransaction(this.db, this.path, WHAT, work)
  }
}

/**
 * The smallest string greater than every string starting with `prefix`: the last code point
 * plus one. UTF-8 byte order equals code point order, so this bounds a range scan exactly.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const codePoints = Array.from(prefix)
  while (codePoints.length > 0) {
    const last = codePoints.pop()!.codePointAt(0)!
    let next = last + 1
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000
    if (next <= 0x10ffff) return codePoints.join('') + String.fromCodePoint(next)
  }
  return undefined
}
