import {closeSync, openSync} from 'node:fs'
import type {Pair} from '../backend.js'
import {UnavailableError} from '../errors.js'
import {sqliteBinding, sqlitePrimaryCode, type Db} from './sqlite-binding.js'

export type {Db, Statement} from './sqlite-binding.js'

/** How long kvcloud waits on a file another process (kvcloud or `spin up`) holds locked. */
const BUSY_TIMEOUT_MS = 30_000

export interface OpenOptions {
  create: boolean
  /**
   * Hold the file's lock from the first read until the file is closed, for a process that is
   * the file's only user (the server, in its own data folder). Reads then skip the lock and
   * change checks that shared files need on every transaction.
   */
  exclusive?: boolean
  /** Open for reading only (an export's snapshot connection). */
  readonly?: boolean
  /** 0 for a lock that is either free now or held by someone else for good (the server's data-folder lock). */
  busyTimeoutMs?: number
}

/**
 * Opens a SQLite file and proves it is readable, turning "not a database", permission and
 * locking failures into one message that names the file and what to do.
 */
export function openDatabase(path: string, what: string, options: OpenOptions): Db {
  // Outside the try: a missing binding is not the file's fault.
  const binding = sqliteBinding()
  let db: Db | undefined
  try {
    // Private from the first byte: SQLite gives its -wal, -shm and -journal files the same mode.
    if (options.create && !options.readonly) createPrivateFile(path)
    db = binding.connect(path, {
      mustExist: !options.create || options.readonly === true,
      readonly: options.readonly === true,
      busyTimeoutMs: options.busyTimeoutMs ?? BUSY_TIMEOUT_MS,
    })
    // Before the first read: a WAL file opened this way keeps its index in memory, not in -shm.
    if (options.exclusive) db.pragma('locking_mode = EXCLUSIVE')
    // Touch the schema so a damaged or foreign file fails here, not halfway through a change.
    db.prepare('SELECT count(*) FROM sqlite_master').get()
    return db
  } catch (error) {
    db?.close()
    throw damagedFileError(path, what, error)
  }
}

function createPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
}

export function damagedFileError(path: string, what: string, error: unknown): UnavailableError {
  const code = sqlitePrimaryCode(error)
  const message = (error as Error).message
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || /not a database|malformed/i.test(message)) {
    return new UnavailableError(`The ${what} ${path} is damaged or is not a SQLite database (${message}).`, [
      'kvcloud did not change it. Restore it from a backup, or move it aside to start afresh.',
    ])
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM') {
    return new UnavailableError(`Cannot open the ${what} ${path}: ${message}.`, [
      'Check that the file and its folder exist and that you may read and write them.',
    ])
  }
  if (code === 'SQLITE_BUSY') {
    return new UnavailableError(`The ${what} ${path} stayed locked by another process for over ${BUSY_TIMEOUT_MS / 1000} s.`, [
      'Another kvcloud or spin process is holding a long write; try again when it has finished.',
    ])
  }
  return new UnavailableError(`The ${what} ${path} could not be used: ${message}`)
}

/**
 * A TEXT column read as its UTF-8 bytes, as `<column>_bytes`, to be decoded by textOf: node:sqlite
 * before Node 24.16 ends a TEXT value at its first NUL character, and a key that Spin or a user
 * wrote may hold one. Under its own name, so that `ORDER BY key` still means the column and walks
 * its index (named `key`, the expression would be sorted in a temporary B-tree, values and all).
 */
export const asBytes = (column: string): string => `CAST(${column} AS BLOB) AS ${column}_bytes`

export const textOf = (bytes: Buffer): string => bytes.toString('utf8')

/** A pair as SQLite hands it over when its key is read with asBytes('key'). */
export interface KeyBytesRow {
  key_bytes: Buffer
  value: Buffer
}

export const pairOf = (row: KeyBytesRow): Pair => ({key: textOf(row.key_bytes), value: row.value})

/**
 * Runs `work` in a write transaction taken at once (BEGIN IMMEDIATE), so two writers never
 * deadlock upgrading read locks. The busy timeout covers waiting; a rare BUSY that slips
 * past it (a lock held across our whole timeout) becomes a clear UnavailableError.
 */
export function writeTransaction<T>(db: Db, path: string, what: string, work: () => T): T {
  // Held from the moment BEGIN IMMEDIATE has the lock (the first line of the transaction) to the end of COMMIT.
  let held = 0
  try {
    return db.transaction(lockStats ? () => ((held = performance.now()), work()) : work).immediate()
  } catch (error) {
    if ((error as {code?: string}).code?.startsWith('SQLITE_')) throw damagedFileError(path, what, error)
    throw error
  } finally {
    if (lockStats && held > 0) lockStats.record(what, performance.now() - held)
  }
}

/**
 * KVCLOUD_LOCK_STATS=1 (bench/lock-hold.js): on exit, print to stderr the longest time any one
 * write transaction held each kind of file's write lock, since Spin waits at most 5 s for it.
 */
const lockStats = process.env.KVCLOUD_LOCK_STATS === '1' ? newLockStats() : undefined

function newLockStats() {
  const longest = new Map<string, {ms: number; count: number}>()
  process.once('exit', () => {
    process.stderr.write(`kvcloud-lock-stats ${JSON.stringify(Object.fromEntries(longest))}\n`)
  })
  return {
    record(what: string, ms: number) {
      const entry = longest.get(what) ?? {ms: 0, count: 0}
      entry.ms = Math.max(entry.ms, Math.round(ms * 10) / 10)
      entry.count++
      longest.set(what, entry)
    },
  }
}
