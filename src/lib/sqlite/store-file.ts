import {randomBytes} from 'node:crypto'
import {rmSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'
import type {Pair} from '../backend.js'
import {toBuffer} from '../bytes.js'
import {asBytes, damagedFileError, openDatabase, pairOf, textOf, writeTransaction, type Db, type KeyBytesRow, type OpenOptions, type Statement} from './sqlite.js'
import {isAlive} from './process-alive.js'

const WHAT = 'store file'

/**
 * The namespace that holds the store's own copy of its data. Not a valid Spin label (labels
 * have no ':'), so no component can ever open it, and it lives as long as the store.
 */
export const DATA_NAMESPACE = 'kvcloud:data'

/** The layout this file format version describes (PRAGMA user_version, which Spin never touches). */
const LAYOUT_VERSION = 1

/** Rows per multi-row statement (3 parameters each, well under SQLite's limit of 32,766). */
const ROWS_PER_STATEMENT = 64

/**
 * How long one of kvcloud's long jobs (staging or publishing an import, filling or dropping a
 * namespace) holds the write lock per step, and how long it then lets go. Spin waits at most 5 s
 * for the lock, polling it at most every 100 ms (SQLite's busy handler), and its increment fails
 * at once beside an open write: a pause longer than that poll lets a waiting Spin in every time,
 * so no Spin statement waits much more than one step and one poll.
 */
const STEP_MS = 300
const PAUSE_MS = 120

/** What an import gathers in memory before staging it, and what one step reads at most. */
const MAX_STEP_BYTES = 4 * 1024 * 1024

/**
 * Rows one step handles at most: a step's DELETE ... IN (SELECT ... LIMIT n) builds its list
 * of n rows in memory, which a server does not give back.
 */
const MAX_STEP_ROWS = 50_000

/** Row writes (rows times copies) an import that arrives whole may make in one transaction: well under a second. */
const DIRECT_ROW_WRITES = 250_000

/** kvcloud's tables beside Spin's. */
const TABLES = `
  CREATE TABLE IF NOT EXISTS kvcloud_namespace (
    name   TEXT PRIMARY KEY,
    source INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS kvcloud_import (
    id        TEXT PRIMARY KEY,
    owner     INTEGER NOT NULL,
    committed INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS kvcloud_pending (
    import TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  BLOB NOT NULL,
    PRIMARY KEY (import, key)
  ) WITHOUT ROWID;
`

/**
 * After an insert or an update under a linked label: the same row in every other namespace.
 * kvcloud's own writes to DATA_NAMESPACE copy themselves, in the same transaction (writeData),
 * so they skip the triggers: a constant comparison costs nothing per row, a trigger run doubles
 * the cost of a bulk write.
 */
const replicateWrite = (name: string, event: string) => `
  CREATE TRIGGER IF NOT EXISTS ${name} AFTER ${event} ON spin_key_value
  WHEN NEW.store <> '${DATA_NAMESPACE}' AND NEW.store IN (SELECT name FROM kvcloud_namespace WHERE source)
  BEGIN
    INSERT INTO spin_key_value (store, key, value)
      SELECT name, NEW.key, NEW.value FROM kvcloud_namespace WHERE name <> NEW.store
      ON CONFLICT (store, key) DO UPDATE SET value = excluded.value WHERE value IS NOT excluded.value;
    DELETE FROM kvcloud_pending WHERE key = NEW.key AND import IN (SELECT id FROM kvcloud_import WHERE committed);
  END;`

/** The triggers that keep every registered namespace in step (recursive triggers are off, so they do not loop). */
const TRIGGERS = replicateWrite('kvcloud_replicate_insert', 'INSERT') + replicateWrite('kvcloud_replicate_update', 'UPDATE OF value') + `
  CREATE TRIGGER IF NOT EXISTS kvcloud_replicate_delete AFTER DELETE ON spin_key_value
  WHEN OLD.store <> '${DATA_NAMESPACE}' AND OLD.store IN (SELECT name FROM kvcloud_namespace WHERE source)
  BEGIN
    DELETE FROM spin_key_value WHERE key = OLD.key AND store IN (SELECT name FROM kvcloud_namespace WHERE name <> OLD.store);
    DELETE FROM kvcloud_pending WHERE key = OLD.key AND import IN (SELECT id FROM kvcloud_import WHERE committed);
  END;
`

/** Thrown when a namespace being linked was dropped by another process before the link committed. */
export class NamespaceGoneError extends Error {}

/**
 * One key-value store on disk, in Spin's own format: table `spin_key_value(store, key, value)`,
 * where `store` is the label a component opens. The store is one dataset: its rows live in
 * DATA_NAMESPACE and in one namespace per label it is linked under, and triggers inside the
 * file copy every insert, update and delete made under any of them to all the others, so what
 * Spin writes under one label, every label and kvcloud see at once, in the same transaction.
 *
 * Long jobs never hold the write lock for long: imports are staged in `kvcloud_pending`, made
 * real in one short commit, then published into the namespaces in short steps (kvcloud's reads
 * look through the pending rows meanwhile, and the next open finishes a publish a crash cut
 * short); linking a label fills its namespace in short steps before the link commits.
 * The file is in WAL mode, so readers never block Spin's writes and an export reads one moment.
 */
export class StoreFile {
  private readonly db: Db
  private readonly statements
  /** Spin's upsert of ROWS_PER_STATEMENT rows and of one row, per mode, prepared on first use. */
  private readonly upserts = new Map<string, Statement<unknown[]>>()

  /** Imports under way; a file with one must stay open (see LocalBackend's handle cache). */
  importsInProgress = 0
  private whenIdle?: () => void

  /** Whether any label is linked (or being linked) to this store: only then can a Spin be using the file. */
  private readonly linked = (): boolean => this.db.open && this.statements.namespaces.all().some((row) => row.name !== DATA_NAMESPACE)

  /** True for a file kvcloud 0.1 wrote (one copy per label, no triggers), until upgrade() runs. */
  readonly legacy: boolean

  constructor(readonly path: string, options: OpenOptions) {
    this.db = openDatabase(path, WHAT, options)
    try {
      // A server keeps many store files open: 4 MB of page cache each, not SQLite's 16 MB here,
      // and the lists big statements build go to a temporary file rather than memory.
      this.db.pragma('cache_size = -4000')
      this.db.pragma('temp_store = FILE')
      this.legacy = this.layOut()
    } catch (error) {
      this.db.close()
      throw damagedFileError(path, WHAT, error)
    }
    const pendingOf = 'import IN (SELECT id FROM kvcloud_import WHERE committed)'
    this.statements = {
      get: this.db.prepare<[{ns: string; key: string}], {value: Buffer}>(
        `SELECT value FROM (
           SELECT value, 0 AS rank FROM kvcloud_pending WHERE key = @key AND ${pendingOf}
           UNION ALL SELECT value, 1 AS rank FROM spin_key_value WHERE store = @ns AND key = @key
         ) ORDER BY rank LIMIT 1`,
      ),
      delete: this.db.prepare<[string, string]>('DELETE FROM spin_key_value WHERE store = ? AND key = ?'),
      deletePending: this.db.prepare<[string]>(`DELETE FROM kvcloud_pending WHERE key = ? AND ${pendingOf}`),
      hasPending: this.db.prepare<[], number>('SELECT 1 FROM kvcloud_import WHERE committed LIMIT 1').pluck(),
      namespaces: this.db.prepare<[], {name: string; source: number}>('SELECT name, source FROM kvcloud_namespace ORDER BY name'),
    }
  }

  // ---- Reads (always from DATA_NAMESPACE, looking through a committed import not yet published) ----

  get(key: string): Buffer | undefined {
    return this.statements.get.get({ns: DATA_NAMESPACE, key})?.value
  }

  /** Up to `limit` keys in byte order, after `after` (exclusive) and within `prefix`. */
  keys(options: {prefix?: string; after?: string; limit: number}): string[] {
    return readKeys(this.db, options)
  }

  /** The labels whose namespaces are kept in step (linked ones, and any being linked). */
  namespaces(): Array<{name: string; complete: boolean}> {
    return this.statements.namespaces.all()
      .filter((row) => row.name !== DATA_NAMESPACE)
      .map((row) => ({name: row.name, complete: row.source === 1}))
  }

  /** A read of one moment: every page it returns is from the same snapshot (WAL), until closed. */
  snapshot(): StoreSnapshot {
    return new StoreSnapshot(this.path)
  }

  // ---- Writes (into DATA_NAMESPACE; the triggers carry them to every label) ----

  set(pairs: Pair[]): void {
    this.write(() => this.writeData(pairs))
  }

  /** Deletes keys; returns how many existed. */
  delete(keys: string[]): number {
    return this.write(() => {
      let existed = 0
      const copies = this.copies()
      for (const key of keys) {
        // The store's own copy first: deleting a label's copy fires its trigger, which deletes the others.
        const {changes} = this.statements.delete.run(DATA_NAMESPACE, key)
        for (const namespace of copies) this.statements.delete.run(namespace, key)
        // A key only an unpublished import holds exists too, and must not come back when it publishes.
        const pending = this.statements.deletePending.run(key).changes
        if (changes > 0 || pending > 0) existed++
      }
      return existed
    })
  }

  /**
   * Imports pairs all or nothing: each batch is staged in `kvcloud_pending` in a short write;
   * `beforeCommit` runs inside the commit (throw to abandon the import), which makes the whole
   * import visible to kvcloud's readers at once; publishing then copies it into the namespaces
   * in short steps. Returns how many distinct keys the import held.
   */
  async importPairs(batches: AsyncIterable<Pair[]>, onBatch: (pairs: Pair[]) => void, beforeCommit: () => void): Promise<number> {
    const id = randomBytes(8).toString('hex')
    this.importsInProgress++
    let committed = false
    try {
      const iterator = batches[Symbol.asyncIterator]()
      const first = await iterator.next()
      const second = first.done ? first : (onBatch(first.value), await iterator.next())
      if (!first.done && second.done && first.value.length * (1 + this.namespaces().length) <= DIRECT_ROW_WRITES) {
        // Arrived whole (a JSON array, a small file) and small enough for one short write.
        const pairs = first.value
        this.write(() => {
          beforeCommit()
          this.writeData(pairs)
        })
        committed = true
        return new Set(pairs.map((pair) => pair.key)).size
      }
      if (!this.linked()) {
        committed = true
        return await this.importUnlinked(id, first.done ? [] : first.value, second, iterator, onBatch, beforeCommit)
      }
      this.write(() => this.db.prepare('INSERT INTO kvcloud_import (id, owner, committed) VALUES (?, ?, 0)').run(id, process.pid))
      // Batches are gathered into steps of about STEP_MS each, with the lock let go in between.
      const pacer = new Pacer(this.linked)
      let pending: Pair[] = first.done ? [] : [...first.value]
      let pendingBytes = first.done ? 0 : bytesOf(first.value)
      const flush = async () => {
        const rows = pending
        pending = []
        pendingBytes = 0
        await pacer.step(() => this.write(() => this.stage(id, rows)), rows.length)
      }
      for (let next = second; !next.done; next = await iterator.next()) {
        onBatch(next.value)
        pending.push(...next.value)
        pendingBytes += bytesOf(next.value)
        // Bounded in bytes too, so a step of large values never holds much memory.
        if (pending.length >= pacer.limit || pendingBytes >= MAX_STEP_BYTES) await flush()
      }
      if (pending.length > 0) await flush()
      let count = 0
      for (;;) {
        // One committed import at a time keeps "newest wins" simple: finish an earlier one first.
        const earlier = this.db.prepare<[], string>('SELECT id FROM kvcloud_import WHERE committed LIMIT 1').pluck().get()
        if (earlier !== undefined) {
          await this.publish(earlier)
          continue
        }
        const done = this.write(() => {
          if (this.statements.hasPending.get() !== undefined) return false
          beforeCommit()
          count = this.db.prepare<[string], number>('SELECT count(*) FROM kvcloud_pending WHERE import = ?').pluck().get(id)!
          this.db.prepare('UPDATE kvcloud_import SET committed = 1 WHERE id = ?').run(id)
          return true
        })
        if (done) break
      }
      committed = true
      await this.publish(id)
      return count
    } finally {
      this.importsInProgress--
      if (!committed && this.db.open) await this.discardImport(id)
      if (this.importsInProgress === 0 && this.whenIdle) {
        const then = this.whenIdle
        this.whenIdle = undefined
        then()
      }
    }
  }

  /**
   * An import into a store no label is linked to, so no Spin can be waiting on the file: staged
   * in a private temporary table (no lock on the store while it streams), then applied in one
   * transaction, all or nothing, which is about half the work of staging in the file and
   * publishing in steps. Links made meanwhile are reached: the apply reads them in its transaction.
   */
  private async importUnlinked(
    id: string, first: Pair[], second: IteratorResult<Pair[]>, iterator: AsyncIterator<Pair[]>,
    onBatch: (pairs: Pair[]) => void, beforeCommit: () => void,
  ): Promise<number> {
    const table = `temp.kvcloud_import_${id}`
    this.db.exec(`CREATE TABLE ${table} (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID`)
    // Its own small page cache keeps a million-pair import's memory flat.
    this.db.pragma('temp.cache_size = -2000')
    try {
      const stage = (pairs: Pair[]) => this.db.transaction(() => this.stageInto(table, pairs))()
      stage(first)
      for (let next = second; !next.done; next = await iterator.next()) {
        onBatch(next.value)
        stage(next.value)
      }
      return this.write(() => {
        beforeCommit()
        for (const namespace of [DATA_NAMESPACE, ...this.copies()]) {
          this.db.prepare(`INSERT INTO spin_key_value (store, key, value) SELECT ?, key, value FROM ${table} WHERE true
            ON CONFLICT (store, key) DO UPDATE SET value = excluded.value`).run(namespace)
        }
        if (this.statements.hasPending.get() !== undefined) {
          this.db.prepare(`DELETE FROM kvcloud_pending WHERE key IN (SELECT key FROM ${table}) AND import IN (SELECT id FROM kvcloud_import WHERE committed)`).run()
        }
        return this.db.prepare<[], number>(`SELECT count(*) FROM ${table}`).pluck().get()!
      })
    } finally {
      if (this.db.open) this.db.exec(`DROP TABLE IF EXISTS ${table}`)
    }
  }

  /** Runs `then` now, or once the imports streaming into this file have ended. */
  afterImports(then: () => void): void {
    if (this.importsInProgress === 0) then()
    else this.whenIdle = then
  }

  // ---- Namespaces of linked labels ----

  /**
   * Fills the namespace of `label` with the store's data, in short steps, so that a link can
   * commit with linkLabels(). Rows left under the label from before (a Spin that wrote there
   * when it was not linked) are cleared first. From its first step on, the triggers keep what
   * is already copied in step, and rows the copy finds already there are newer than its own.
   */
  async fillNamespace(label: string): Promise<void> {
    const state = this.db.prepare<[string], number>('SELECT source FROM kvcloud_namespace WHERE name = ?').pluck()
    if (state.get(label) === 1) return
    if (state.get(label) === undefined) {
      await inSteps(this.linked, (limit) => this.write(() => {
        if (state.get(label) !== undefined) return 0
        const changes = this.deleteRowsOf(label, limit)
        if (changes < limit) this.db.prepare('INSERT INTO kvcloud_namespace (name, source) VALUES (?, 0) ON CONFLICT DO NOTHING').run(label)
        return changes
      }))
    }
    let after = ''
    const page = this.db.prepare<[string, string, number], KeyBytesRow>(
      `SELECT ${asBytes('key')}, value FROM spin_key_value WHERE store = ? AND key > ? ORDER BY key LIMIT ?`,
    )
    await inSteps(this.linked, (limit) => this.write(() => {
      if (state.get(label) === undefined) throw new NamespaceGoneError(label)
      const {rows, more} = takePage(page.iterate(DATA_NAMESPACE, after, limit), limit)
      this.upsertMany(label, rows, 'keep')
      if (rows.length > 0) after = rows.at(-1)!.key
      return more ? limit : rows.length
    }))
  }

  /**
   * Makes a label the catalog links, but the file does not keep in step (a kvcloud 0.1 file that
   * was empty when it was upgraded, or a link whose file commit a crash cut off), part of the
   * dataset again: what Spin wrote under it meanwhile joins the store's data, the store's data
   * fills it, and from then on the triggers keep it in step. Paced like every long job.
   */
  async adoptNamespace(label: string): Promise<void> {
    this.write(() => this.db.prepare('INSERT INTO kvcloud_namespace (name, source) VALUES (?, 0) ON CONFLICT DO NOTHING').run(label))
    let after = ''
    const page = this.db.prepare<[string, string, number], KeyBytesRow>(
      `SELECT ${asBytes('key')}, value FROM spin_key_value WHERE store = ? AND key > ? ORDER BY key LIMIT ?`,
    )
    await inSteps(this.linked, (limit) => this.write(() => {
      const {rows, more} = takePage(page.iterate(label, after, limit), limit)
      // Spin's own writes under the label are the newest there are.
      this.writeData(rows)
      if (rows.length > 0) after = rows.at(-1)!.key
      return more ? limit : rows.length
    }))
    await this.fillNamespace(label)
    this.write(() => this.db.prepare('UPDATE kvcloud_namespace SET source = 1 WHERE name = ?').run(label))
  }

  /**
   * Marks filled namespaces complete (writes under them now reach the others) and runs
   * `commit` (the catalog's commit of the links) while this file's write lock is held, so a
   * concurrent dropUnusedNamespaces() sees either the links or no links, never a half.
   * Throws NamespaceGoneError when one was dropped meanwhile: fill it again and retry.
   */
  linkLabels<T>(labels: string[], commit: () => T): T {
    return this.write(() => {
      const state = this.db.prepare<[string], number>('SELECT source FROM kvcloud_namespace WHERE name = ?').pluck()
      for (const label of labels) {
        if (state.get(label) === undefined) throw new NamespaceGoneError(label)
        this.db.prepare('UPDATE kvcloud_namespace SET source = 1 WHERE name = ?').run(label)
      }
      return commit()
    })
  }

  /**
   * Stops keeping the namespaces of labels `inUse` (asked inside this file's write lock, from
   * the catalog) no longer names, then clears their rows in short steps. A link filling one of
   * them meanwhile sees NamespaceGoneError and fills it again. The store's own data is never touched.
   */
  async dropUnusedNamespaces(inUse: () => string[]): Promise<void> {
    const dropped = this.write(() => {
      const used = new Set(inUse())
      // One still filling (source 0) is another link's work in progress: it commits, or is adopted later.
      const gone = this.statements.namespaces.all()
        .filter((row) => row.name !== DATA_NAMESPACE && row.source === 1 && !used.has(row.name))
        .map((row) => row.name)
      for (const name of gone) this.db.prepare('DELETE FROM kvcloud_namespace WHERE name = ?').run(name)
      return gone
    })
    for (const label of dropped) await this.clearRowsOf(label)
  }

  /**
   * Empties a deleted store: nothing replicates any more, then every row goes, in short steps
   * (a running `spin up` may hold the file open; it sees an empty store, never a broken file).
   */
  async destroy(): Promise<void> {
    this.write(() => {
      this.db.exec('DELETE FROM kvcloud_namespace; DELETE FROM kvcloud_import')
    })
    await inSteps(this.linked, (limit) => this.write(() =>
      this.db.prepare('DELETE FROM spin_key_value WHERE rowid IN (SELECT rowid FROM spin_key_value LIMIT ?)').run(limit).changes))
    await inSteps(this.linked, (limit) => this.write(() =>
      this.db.prepare('DELETE FROM kvcloud_pending WHERE (import, key) IN (SELECT import, key FROM kvcloud_pending LIMIT ?)').run(limit).changes))
  }

  /**
   * Turns a kvcloud 0.1 file (a full copy under each label, kept in step by kvcloud's writes
   * only) into one dataset: DATA_NAMESPACE takes the primary namespace's rows, then any key only
   * another label's copy has (what Spin wrote there), and every label gets the same rows.
   */
  upgrade(primaryNamespace: string, labels: string[]): void {
    if (!this.legacy) return
    this.write(() => {
      if (this.db.pragma('user_version', {simple: true}) === LAYOUT_VERSION) return
      const copy = this.db.prepare<[string, string]>(
        'INSERT INTO spin_key_value (store, key, value) SELECT ?, key, value FROM spin_key_value WHERE store = ? ON CONFLICT DO NOTHING',
      )
      for (const namespace of [primaryNamespace, ...labels]) copy.run(DATA_NAMESPACE, namespace)
      const align = this.db.prepare<[string, string]>(
        `INSERT INTO spin_key_value (store, key, value) SELECT ?, key, value FROM spin_key_value WHERE store = ? AND true
         ON CONFLICT (store, key) DO UPDATE SET value = excluded.value WHERE value IS NOT excluded.value`,
      )
      for (const label of labels) align.run(label, DATA_NAMESPACE)
      // Copies of labels no longer linked are not part of the store.
      const keep = new Set([DATA_NAMESPACE, ...labels])
      const stale = (this.db.prepare('SELECT DISTINCT store FROM spin_key_value').pluck().all() as string[]).filter((ns) => !keep.has(ns))
      for (const ns of stale) this.db.prepare('DELETE FROM spin_key_value WHERE store = ?').run(ns)
      this.db.exec(TRIGGERS)
      const register = this.db.prepare('INSERT INTO kvcloud_namespace (name, source) VALUES (?, 1) ON CONFLICT DO UPDATE SET source = 1')
      for (const ns of keep) register.run(ns)
      this.db.pragma(`user_version = ${LAYOUT_VERSION}`)
    })
    ;(this as {legacy: boolean}).legacy = false
  }

  close(): void {
    if (this.db.open) this.db.close()
  }

  /** Removes a file nobody else can have open (one made for a deploy that was rolled back). */
  static removeUnused(path: string): void {
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(path + suffix, {force: true})
  }

  // ---- internals ----

  /** Lays out a new file, or reports an old one (true) that upgrade() must turn into one dataset. */
  private layOut(): boolean {
    if (this.db.pragma('user_version', {simple: true}) === LAYOUT_VERSION) return false
    // WAL: readers never block Spin's writers, and an export is one snapshot. Spin opens such a
    // file unchanged (SQLite keeps the mode in the file). A file some process holds open in
    // rollback mode stays in it until they let go; everything below works in either mode.
    this.db.pragma('journal_mode = WAL')
    return this.write(() => {
      if (this.db.pragma('user_version', {simple: true}) === LAYOUT_VERSION) return false
      const spinTable = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'spin_key_value'").get()
      if (spinTable && this.db.prepare('SELECT 1 FROM spin_key_value LIMIT 1').get()) {
        this.db.exec(TABLES)
        return true
      }
      this.db.exec(`CREATE TABLE IF NOT EXISTS spin_key_value (
        store TEXT NOT NULL,
        key   TEXT NOT NULL,
        value BLOB NOT NULL,
        PRIMARY KEY (store, key)
      )`)
      this.db.exec(TABLES + TRIGGERS)
      this.db.prepare('INSERT INTO kvcloud_namespace (name, source) VALUES (?, 1) ON CONFLICT DO NOTHING').run(DATA_NAMESPACE)
      this.db.pragma(`user_version = ${LAYOUT_VERSION}`)
      return false
    })
  }

  /**
   * Finishes what a process that died left: publishes its committed import (kvcloud's reads see
   * it whole meanwhile), discards its staged one. Returns at once when there is nothing to do.
   */
  async recover(): Promise<void> {
    if (this.legacy) return
    const imports = this.db.prepare<[], {id: string; owner: number; committed: number}>('SELECT id, owner, committed FROM kvcloud_import').all()
    for (const {id, owner, committed} of imports) {
      if (owner === process.pid || isAlive(owner)) continue
      if (committed) await this.publish(id)
      else await this.discardImport(id)
    }
  }

  /** Copies a committed import into the store in short steps; the triggers take it to every label. */
  private async publish(id: string): Promise<void> {
    const page = this.db.prepare<[string, number], KeyBytesRow>(
      `SELECT ${asBytes('key')}, value FROM kvcloud_pending WHERE import = ? ORDER BY key LIMIT ?`,
    )
    await inSteps(this.linked, (limit) => this.write(() => {
      if (!this.db.open) return 0
      const {rows, more} = takePage(page.iterate(id, limit), limit)
      this.writeData(rows, false)
      // These rows are published: one range delete, not one per key (keys are in order).
      if (rows.length > 0) this.db.prepare('DELETE FROM kvcloud_pending WHERE import = ? AND key <= ?').run(id, rows.at(-1)!.key)
      if (!more) this.db.prepare('DELETE FROM kvcloud_import WHERE id = ?').run(id)
      return more ? limit : rows.length
    }))
  }

  private async discardImport(id: string): Promise<void> {
    this.write(() => this.db.prepare('DELETE FROM kvcloud_import WHERE id = ?').run(id))
    await inSteps(this.linked, (limit) => this.write(() =>
      this.db.prepare('DELETE FROM kvcloud_pending WHERE import = ? AND key IN (SELECT key FROM kvcloud_pending WHERE import = ? LIMIT ?)')
        .run(id, id, limit).changes))
  }

  private async clearRowsOf(label: string): Promise<void> {
    const registered = this.db.prepare<[string], number>('SELECT 1 FROM kvcloud_namespace WHERE name = ?').pluck()
    await inSteps(this.linked, (limit) => this.write(() => {
      // Linked again meanwhile (by another process): its rows are live again.
      if (registered.get(label) !== undefined) return 0
      return this.deleteRowsOf(label, limit)
    }))
  }

  /**
   * kvcloud's write of pairs: into DATA_NAMESPACE and every label's namespace (complete or still
   * filling), read inside this write transaction so no link can come between, and out of a
   * committed import that is still publishing (a newer write wins). Call inside a write.
   */
  private writeData(pairs: Pair[], newerThanPending = true): void {
    this.upsertMany(DATA_NAMESPACE, pairs, 'replace')
    for (const namespace of this.copies()) this.upsertMany(namespace, pairs, 'replace')
    if (newerThanPending && this.statements.hasPending.get() !== undefined) for (const {key} of pairs) this.statements.deletePending.run(key)
  }

  /** The namespaces beside DATA_NAMESPACE that kvcloud's writes must reach. */
  private copies(): string[] {
    return this.statements.namespaces.all().map((row) => row.name).filter((name) => name !== DATA_NAMESPACE)
  }

  /** Adds pairs to a private temporary table (key, value); a later duplicate replaces an earlier one. */
  private stageInto(table: string, pairs: Pair[]): void {
    const sql = (rows: number) => `INSERT OR REPLACE INTO ${table} (key, value) VALUES ${Array(rows).fill('(?, ?)').join(', ')}`
    const many = this.db.prepare<unknown[]>(sql(ROWS_PER_STATEMENT))
    const one = this.db.prepare<unknown[]>(sql(1))
    const args: unknown[] = []
    for (const {key, value} of pairs) {
      args.push(key, toBuffer(value))
      if (args.length === ROWS_PER_STATEMENT * 2) {
        many.run(args)
        args.length = 0
      }
    }
    for (let i = 0; i < args.length; i += 2) one.run(args[i], args[i + 1])
  }

  /** Adds pairs to an import's staging rows (a later duplicate replaces an earlier one). Call inside a write. */
  private stage(id: string, pairs: Pair[]): void {
    const sql = (rows: number) => `INSERT OR REPLACE INTO kvcloud_pending (import, key, value) VALUES ${Array(rows).fill('(?, ?, ?)').join(', ')}`
    runInBatches(this.db.prepare<unknown[]>(sql(ROWS_PER_STATEMENT)), this.db.prepare<unknown[]>(sql(1)), id, pairs)
  }

  /**
   * Spin's upsert, many rows per statement ('keep' leaves rows already there as they are).
   * SQLite runs them in order, so the result is the same as one statement per pair. Call inside a write.
   */
  private upsertMany(namespace: string, pairs: Pair[], existing: 'replace' | 'keep'): void {
    runInBatches(this.upsert(existing, ROWS_PER_STATEMENT), this.upsert(existing, 1), namespace, pairs)
  }

  private upsert(existing: 'replace' | 'keep', rows: number): Statement<unknown[]> {
    const name = `${existing}:${rows}`
    let statement = this.upserts.get(name)
    if (!statement) {
      const conflict = existing === 'replace' ? 'ON CONFLICT (store, key) DO UPDATE SET value = excluded.value' : 'ON CONFLICT DO NOTHING'
      statement = this.db.prepare(`INSERT INTO spin_key_value (store, key, value) VALUES ${Array(rows).fill('(?, ?, ?)').join(', ')} ${conflict}`)
      this.upserts.set(name, statement)
    }
    return statement
  }

  /** Deletes up to `limit` rows of one namespace; returns how many went. Call inside a write. */
  private deleteRowsOf(namespace: string, limit: number): number {
    return this.db.prepare('DELETE FROM spin_key_value WHERE rowid IN (SELECT rowid FROM spin_key_value WHERE store = ? LIMIT ?)').run(namespace, limit).changes
  }

  private write<T>(work: () => T): T {
    return writeTransaction(this.db, this.path, WHAT, work)
  }
}

/**
 * Sizes the steps of a long job so that each holds the write lock for about STEP_MS, and lets
 * go for PAUSE_MS after each (asynchronously, so a server goes on answering meanwhile).
 */
class Pacer {
  limit = 10_000
  private steps = 0

  /** `linked`: whether a Spin may be waiting (only a linked store is in a runtime config). */
  constructor(private readonly linked: () => boolean) {}

  async step<T>(work: () => T, rows: number): Promise<T> {
    // Between steps the event loop always gets a turn; a Spin, only where one can be waiting.
    if (this.steps++ > 0) await sleep(this.linked() ? PAUSE_MS : 0)
    const started = performance.now()
    const result = work()
    const took = performance.now() - started
    if (rows >= this.limit) this.limit = Math.max(100, Math.min(MAX_STEP_ROWS, Math.round(this.limit * Math.min(4, Math.max(0.25, STEP_MS / Math.max(took, 1))))))
    return result
  }
}

/** Runs `step(limit)` until it handles fewer than `limit` rows, paced (see Pacer). */
async function inSteps(linked: () => boolean, step: (limit: number) => number): Promise<void> {
  const pacer = new Pacer(linked)
  for (;;) {
    const limit = pacer.limit
    const handled = await pacer.step(() => step(limit), limit)
    if (handled < limit) return
  }
}

/**
 * A store's pairs as of one moment: its own read-only connection holds one read transaction
 * (WAL keeps that moment while writers go on), so links, writes and publishes meanwhile are
 * either all in an export or not at all.
 */
export class StoreSnapshot {
  private readonly db: Db

  constructor(path: string) {
    this.db = openDatabase(path, WHAT, {create: false, readonly: true})
    this.db.exec('BEGIN')
    // The first read starts the snapshot.
    this.db.prepare('SELECT count(*) FROM kvcloud_namespace').get()
  }

  /** A page of pairs in key order, after `after`: at most `limit`, fewer when they are large; empty at the end. */
  pairs(after: string | undefined, limit: number): Pair[] {
    return readPairs(this.db, after ?? '', after !== undefined, limit)
  }

  close(): void {
    if (!this.db.open) return
    this.db.exec('COMMIT')
    this.db.close()
  }
}

/**
 * Up to `limit` rows of a page, and fewer when they pass MAX_STEP_BYTES (1 MiB values would
 * otherwise put a whole step's rows in memory at once); `more` when it stopped before the end.
 */
/**
 * Runs a statement of (first, key, value) rows over pairs: ROWS_PER_STATEMENT rows at a time
 * through `many`, the rest one by one through `one`.
 */
function runInBatches(many: Statement<unknown[]>, one: Statement<unknown[]>, first: string, pairs: Pair[]): void {
  const args: unknown[] = []
  for (const {key, value} of pairs) {
    args.push(first, key, toBuffer(value))
    if (args.length === ROWS_PER_STATEMENT * 3) {
      many.run(args)
      args.length = 0
    }
  }
  for (let i = 0; i < args.length; i += 3) one.run(args[i], args[i + 1], args[i + 2])
}

function takePage(rows: IterableIterator<KeyBytesRow>, limit: number): {rows: Pair[]; more: boolean} {
  const taken: Pair[] = []
  let bytes = 0
  for (const row of rows) {
    taken.push(pairOf(row))
    bytes += row.key_bytes.length + row.value.byteLength
    if (taken.length >= limit || bytes >= MAX_STEP_BYTES) {
      // Closes the statement, so the step can write.
      rows.return?.()
      return {rows: taken, more: true}
    }
  }
  return {rows: taken, more: false}
}

function bytesOf(pairs: Pair[]): number {
  let bytes = 0
  for (const {key, value} of pairs) bytes += key.length + value.byteLength
  return bytes
}

function hasPending(db: Db): boolean {
  return db.prepare('SELECT 1 FROM kvcloud_import WHERE committed LIMIT 1').get() !== undefined
}

function readKeys(db: Db, options: {prefix?: string; after?: string; limit: number}): string[] {
  const {prefix, after, limit} = options
  const start = after !== undefined && (prefix === undefined || compareKeys(after, prefix) >= 0) ? after : prefix
  const inclusive = start === prefix && start !== undefined && start !== after
  const end = prefix ? prefixUpperBound(prefix) : undefined
  const bounds = `key ${inclusive ? '>=' : '>'} ?${end === undefined ? '' : ' AND key < ?'}`
  const params: unknown[] = [start ?? '', ...(end === undefined ? [] : [end]), limit]
  const own = (db.prepare(`SELECT ${asBytes('key')} FROM spin_key_value WHERE store = ? AND ${bounds} ORDER BY key LIMIT ?`).pluck().all(DATA_NAMESPACE, ...params) as Buffer[]).map(textOf)
  let keys = own
  if (hasPending(db)) {
    const pending = (db.prepare(
      `SELECT ${asBytes('key')} FROM kvcloud_pending WHERE import IN (SELECT id FROM kvcloud_import WHERE committed) AND ${bounds} ORDER BY key LIMIT ?`,
    ).pluck().all(...params) as Buffer[]).map(textOf)
    keys = mergeSorted(own, pending, (key) => key).slice(0, limit)
  }
  // Without an upper bound (a prefix ending in U+10FFFF), the range scan can run past the prefix.
  return prefix ? keys.filter((key) => key.startsWith(prefix)) : keys
}

function readPairs(db: Db, after: string, exclusive: boolean, limit: number): Pair[] {
  const op = exclusive ? '>' : '>='
  const own = takePage(db.prepare<[string, string, number], KeyBytesRow>(
    `SELECT ${asBytes('key')}, value FROM spin_key_value WHERE store = ? AND key ${op} ? ORDER BY key LIMIT ?`,
  ).iterate(DATA_NAMESPACE, after, limit), limit).rows
  if (!hasPending(db)) return own
  const pending = db.prepare<[string, number], KeyBytesRow>(
    `SELECT ${asBytes('key')}, value FROM kvcloud_pending WHERE import IN (SELECT id FROM kvcloud_import WHERE committed) AND key ${op} ? ORDER BY key LIMIT ?`,
  ).all(after, limit).map(pairOf)
  const merged = mergeSorted(pending, own, (pair) => pair.key).slice(0, limit)
  // A page of own rows cut short by size ends at its last key: pending keys past it come next time.
  const last = own.length > 0 && own.length < limit ? own.at(-1)!.key : undefined
  return last === undefined ? merged : merged.filter((pair) => compareKeys(pair.key, last) <= 0)
}

/**
 * SQLite's order for TEXT keys: their UTF-8 bytes. JavaScript's `<` compares UTF-16 code units,
 * which orders U+E000..U+FFFF after astral characters, where UTF-8 puts them before.
 */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/** Merges two lists sorted by key (in SQLite's order); on equal keys the first list's item wins. */
function mergeSorted<T>(first: T[], second: T[], keyOf: (item: T) => string): T[] {
  const merged: T[] = []
  let i = 0
  let j = 0
  while (i < first.length || j < second.length) {
    if (j >= second.length) merged.push(first[i++]!)
    else if (i >= first.length) merged.push(second[j++]!)
    else {
      const order = compareKeys(keyOf(first[i]!), keyOf(second[j]!))
      if (order === 0) {
        merged.push(first[i++]!)
        j++
      } else if (order < 0) merged.push(first[i++]!)
      else merged.push(second[j++]!)
    }
  }
  return merged
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
