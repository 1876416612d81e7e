import {createRequire} from 'node:module'
import {existsSync} from 'node:fs'
import type {DatabaseSync, StatementSync} from 'node:sqlite'
import {UnavailableError, UsageError} from '../errors.js'

/**
 * The one place kvcloud meets a SQLite library: Node's built-in `node:sqlite` where Node has
 * it (22.13 and later), better-sqlite3 (an optional dependency, a native addon) on Node 20.
 * Both speak the small better-sqlite3-shaped interface below, so the rest of kvcloud does not
 * know which one it runs on: rows are plain objects, BLOBs are Buffers, errors carry
 * better-sqlite3's `SQLITE_*` codes.
 */

type Params<P> = P extends unknown[] ? P : [P]

/** Numbers, not bigints: kvcloud never asks either binding for bigints. */
export interface RunResult {
  changes: number
  lastInsertRowid: number
}

export interface Statement<P extends unknown[] | object = unknown[], R = unknown> {
  get(...params: Params<P>): R | undefined
  all(...params: Params<P>): R[]
  run(...params: Params<P>): RunResult
  iterate(...params: Params<P>): IterableIterator<R>
  /** From now on, rows are their first column's value (R describes that value). */
  pluck(): Statement<P, R>
}

export interface Transaction<T> {
  /** BEGIN (deferred); a savepoint when a transaction is already open. */
  (): T
  /** BEGIN IMMEDIATE: the write lock is taken at once. */
  immediate(): T
}

export interface Db {
  prepare<P extends unknown[] | object = unknown[], R = unknown>(sql: string): Statement<P, R>
  exec(sql: string): void
  /** `PRAGMA <text>`: every row, or with `simple` the first row's first value. */
  pragma(text: string, options?: {simple?: boolean}): unknown
  transaction<T>(work: () => T): Transaction<T>
  readonly open: boolean
  close(): void
}

export interface ConnectOptions {
  readonly: boolean
  /** Fail when the file does not exist instead of creating it. */
  mustExist: boolean
  busyTimeoutMs: number
}

export type BindingName = 'node:sqlite' | 'better-sqlite3'

interface Binding {
  name: BindingName
  connect(path: string, options: ConnectOptions): Db
}

/** The binding this process uses: the one KVCLOUD_SQLITE_BINDING names (the bench compares them), else the built-in where Node has it. */
export function sqliteBinding(): Binding {
  chosen ??= chooseBinding(process.env.KVCLOUD_SQLITE_BINDING || undefined)
  return chosen
}

let chosen: Binding | undefined

/** One binding by name, or undefined where this Node cannot load it (tests and the bench compare the two). */
export function bindingNamed(name: BindingName): Binding | undefined {
  if (name === 'node:sqlite') {
    const sqlite = loadNodeSqlite()
    return sqlite && {name, connect: (path, options) => new NodeSqliteDb(sqlite, path, options)}
  }
  const Database = loadBetterSqlite3()
  return Database && {
    name,
    connect: (path, options) =>
      new Database(path, {readonly: options.readonly, fileMustExist: options.mustExist, timeout: options.busyTimeoutMs}) as unknown as Db,
  }
}

function chooseBinding(wanted: string | undefined): Binding {
  if (wanted !== undefined && wanted !== 'node:sqlite' && wanted !== 'better-sqlite3') {
    throw new UsageError(`KVCLOUD_SQLITE_BINDING must be node:sqlite or better-sqlite3, not "${wanted}".`, ['Unset it to let kvcloud choose.'])
  }
  const binding = wanted ? bindingNamed(wanted) : (bindingNamed('node:sqlite') ?? bindingNamed('better-sqlite3'))
  if (binding) return binding
  if (wanted === 'node:sqlite') {
    throw new UnavailableError(`KVCLOUD_SQLITE_BINDING asks for node:sqlite, which Node ${process.version} does not have (it came in Node 22.13).`, [
      'Unset KVCLOUD_SQLITE_BINDING, or use Node 22.13 or later.',
    ])
  }
  if (wanted === 'better-sqlite3') {
    throw new UnavailableError(`KVCLOUD_SQLITE_BINDING asks for better-sqlite3, which could not be loaded: ${betterSqlite3Failure}`, [
      'Unset KVCLOUD_SQLITE_BINDING to use node:sqlite, or rebuild better-sqlite3 for this Node (npm rebuild better-sqlite3).',
    ])
  }
  throw new UnavailableError(`kvcloud cannot reach SQLite: Node ${process.version} has no node:sqlite, and better-sqlite3 could not be loaded: ${betterSqlite3Failure}`, [
    'Use Node 22.13 or later (recommended: it has SQLite built in), or reinstall kvcloud with install scripts allowed so better-sqlite3 can build.',
  ])
}

type NodeSqlite = typeof import('node:sqlite')

function loadNodeSqlite(): NodeSqlite | undefined {
  // Node 22 announces node:sqlite with an ExperimentalWarning on load; it is ours to know, not the user's.
  const emitWarning = process.emitWarning
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message
    if (/SQLite is an experimental feature/.test(text)) return
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest)
  }) as typeof process.emitWarning
  try {
    const module = process.getBuiltinModule?.('node:sqlite') as NodeSqlite | undefined
    // 22.13 is the first 22 with iterate() and node:sqlite without a flag.
    return module && typeof module.StatementSync.prototype.iterate === 'function' ? module : undefined
  } catch {
    return undefined
  } finally {
    process.emitWarning = emitWarning
  }
}

type BetterSqlite3 = new (path: string, options: {readonly: boolean; fileMustExist: boolean; timeout: number}) => unknown

let betterSqlite3Failure = ''

/** The optional native addon: missing where its install script was blocked or its build failed. */
function loadBetterSqlite3(): BetterSqlite3 | undefined {
  try {
    const Database = createRequire(import.meta.url)('better-sqlite3') as BetterSqlite3
    // The package loads its native part on first use: where its build was blocked, that is where it fails.
    ;(new Database(':memory:', {readonly: false, fileMustExist: false, timeout: 0}) as {close(): void}).close()
    return Database
  } catch (error) {
    betterSqlite3Failure = (error as Error).message.replace(/\s+/g, ' ').trim()
    return undefined
  }
}

/** SQLite's primary result codes, by number, as better-sqlite3 names them. */
const RESULT_CODES = [
  'OK', 'ERROR', 'INTERNAL', 'PERM', 'ABORT', 'BUSY', 'LOCKED', 'NOMEM', 'READONLY', 'INTERRUPT', 'IOERR', 'CORRUPT', 'NOTFOUND',
  'FULL', 'CANTOPEN', 'PROTOCOL', 'EMPTY', 'SCHEMA', 'TOOBIG', 'CONSTRAINT', 'MISMATCH', 'MISUSE', 'NOLFS', 'AUTH', 'FORMAT',
  'RANGE', 'NOTADB', 'NOTICE', 'WARNING',
]

/** node:sqlite reports `ERR_SQLITE_ERROR` with a numeric `errcode`; the rest of kvcloud reads `SQLITE_*` codes. */
function withSqliteCode(error: unknown): unknown {
  const failure = error as {code?: string; errcode?: number}
  if (failure?.code === 'ERR_SQLITE_ERROR' && typeof failure.errcode === 'number') {
    failure.code = `SQLITE_${RESULT_CODES[failure.errcode & 0xff] ?? 'ERROR'}`
  }
  return error
}

/**
 * The primary code of a SQLite failure ("SQLITE_BUSY" for SQLITE_BUSY_SNAPSHOT), or '' for any
 * other error: better-sqlite3 names extended codes, node:sqlite's become primary ones here.
 */
export function sqlitePrimaryCode(error: unknown): string {
  const code = (error as {code?: unknown} | undefined)?.code
  return typeof code === 'string' ? (/^SQLITE_[A-Z]+/.exec(code)?.[0] ?? '') : ''
}

/** node:sqlite hands BLOBs back as Uint8Arrays; kvcloud works in Buffers (same memory, no copy). */
function asBuffer(value: unknown): unknown {
  return value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value
}

function withBuffers<R>(row: R): R {
  if (row && typeof row === 'object') {
    const fields = row as Record<string, unknown>
    for (const name in fields) {
      if (fields[name] instanceof Uint8Array) fields[name] = asBuffer(fields[name])
    }
  }
  return row
}

class NodeSqliteStatement<P extends unknown[] | object, R> implements Statement<P, R> {
  private plucked = false
  /** setReturnArrays (Node 22.16+) makes a plucked row an array; before it, the row object's first value. */
  private readonly arrays: boolean

  constructor(private readonly statement: StatementSync) {
    this.arrays = typeof (statement as {setReturnArrays?: unknown}).setReturnArrays === 'function'
  }

  pluck(): Statement<P, R> {
    this.plucked = true
    if (this.arrays) (statement(this.statement)).setReturnArrays(true)
    return this
  }

  get(...params: Params<P>): R | undefined {
    try {
      const row = this.statement.get(...bound(params))
      return row === undefined ? undefined : this.shape(row)
    } catch (error) {
      throw withSqliteCode(error)
    }
  }

  all(...params: Params<P>): R[] {
    try {
      const rows = this.statement.all(...bound(params))
      for (let index = 0; index < rows.length; index++) rows[index] = this.shape(rows[index]) as never
      return rows as R[]
    } catch (error) {
      throw withSqliteCode(error)
    }
  }

  run(...params: Params<P>): RunResult {
    try {
      return this.statement.run(...bound(params)) as RunResult
    } catch (error) {
      throw withSqliteCode(error)
    }
  }

  *iterate(...params: Params<P>): IterableIterator<R> {
    let rows: Iterator<unknown>
    try {
      rows = this.statement.iterate(...bound(params))
    } catch (error) {
      throw withSqliteCode(error)
    }
    try {
      for (;;) {
        let next: IteratorResult<unknown>
        try {
          next = rows.next()
        } catch (error) {
          throw withSqliteCode(error)
        }
        if (next.done) return
        yield this.shape(next.value)
      }
    } finally {
      // Resets the statement when a caller stops early: an unfinished SELECT keeps its read snapshot,
      // and once another connection commits, every BEGIN IMMEDIATE here fails with SQLITE_BUSY_SNAPSHOT.
      rows.return?.()
    }
  }

  private shape(row: unknown): R {
    if (!this.plucked) return withBuffers(row as R)
    const first = this.arrays ? (row as unknown[])[0] : Object.values(row as object)[0]
    return asBuffer(first) as R
  }
}

/**
 * Parameters as node:sqlite must see them to bind what better-sqlite3 binds: array arguments
 * spread into positional parameters (node:sqlite would take an array for named ones), and an
 * empty byte array bound as an empty BLOB (Node 22 binds a view of a zero-length ArrayBuffer as NULL).
 */
function bound(params: unknown[]): never[] {
  const positional = params.some((param) => Array.isArray(param)) ? params.flat() : params
  return positional.map((param) =>
    param !== null && typeof param === 'object' && !(param instanceof Uint8Array)
      ? Object.fromEntries(Object.entries(param).map(([name, value]) => [name, bindable(value)]))
      : bindable(param),
  ) as never[]
}

const EMPTY_BLOB = new Uint8Array(new ArrayBuffer(1), 0, 0)

function bindable(value: unknown): unknown {
  return value instanceof Uint8Array && value.byteLength === 0 ? EMPTY_BLOB : value
}

function statement(sync: StatementSync): StatementSync & {setReturnArrays(enabled: boolean): void} {
  return sync as StatementSync & {setReturnArrays(enabled: boolean): void}
}

class NodeSqliteDb implements Db {
  private readonly db: DatabaseSync
  private isOpen = true
  /** Transactions begun through transaction(), outermost first (node:sqlite says whether one is open only from 22.16). */
  private depth = 0

  constructor(sqlite: NodeSqlite, path: string, options: ConnectOptions) {
    if (options.mustExist && !existsSync(path)) {
      throw Object.assign(new Error(`unable to open database file: ${path} does not exist`), {code: 'SQLITE_CANTOPEN'})
    }
    try {
      this.db = new sqlite.DatabaseSync(path, {readOnly: options.readonly})
      // PRAGMA, not the timeout option: that option came in 22.16.
      this.db.exec(`PRAGMA busy_timeout = ${options.busyTimeoutMs}`)
    } catch (error) {
      throw withSqliteCode(error)
    }
  }

  get open(): boolean {
    return this.isOpen
  }

  prepare<P extends unknown[] | object = unknown[], R = unknown>(sql: string): Statement<P, R> {
    try {
      return new NodeSqliteStatement<P, R>(this.db.prepare(sql))
    } catch (error) {
      throw withSqliteCode(error)
    }
  }

  exec(sql: string): void {
    try {
      this.db.exec(sql)
    } catch (error) {
      throw withSqliteCode(error)
    }
  }

  pragma(text: string, options: {simple?: boolean} = {}): unknown {
    const statement = this.prepare(`PRAGMA ${text}`)
    return options.simple ? statement.pluck().get() : statement.all()
  }

  transaction<T>(work: () => T): Transaction<T> {
    const run = (begin: string): T => {
      const nested = this.depth > 0
      this.exec(nested ? 'SAVEPOINT kvcloud_nested' : begin)
      this.depth++
      try {
        const result = work()
        this.exec(nested ? 'RELEASE kvcloud_nested' : 'COMMIT')
        return result
      } catch (error) {
        this.rollback(nested)
        throw error
      } finally {
        this.depth--
      }
    }
    return Object.assign(() => run('BEGIN'), {immediate: () => run('BEGIN IMMEDIATE')})
  }

  /** SQLite may have rolled the transaction back itself (a full disk, say); then there is nothing left to undo. */
  private rollback(nested: boolean): void {
    try {
      this.db.exec(nested ? 'ROLLBACK TO kvcloud_nested; RELEASE kvcloud_nested' : 'ROLLBACK')
    } catch {
      // "no transaction is active": already undone.
    }
  }

  close(): void {
    if (!this.isOpen) return
    this.isOpen = false
    this.db.close()
  }
}
