import {rmSync} from 'node:fs'
import {dirname} from 'node:path'
import {UnavailableError} from '../errors.js'
import {readLegacyRuntimeConfigs} from '../local/legacy-runtime-configs.js'
import type {ComponentInfo, SqliteDescription} from '../backend.js'
import {damagedFileError, openDatabase, writeTransaction, type Db, type Statement} from './sqlite.js'
import {sqliteBinding} from './sqlite-binding.js'

const WHAT = 'kvcloud catalog'

// Each entry moves the schema one version up; user_version records how far a file has come.
const MIGRATIONS: string[] = [
  `CREATE TABLE stores (
     id         TEXT PRIMARY KEY,
     name       TEXT NOT NULL UNIQUE,
     primary_ns TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE TABLE apps (
     id          INTEGER PRIMARY KEY,
     name        TEXT NOT NULL UNIQUE,
     version     TEXT,
     description TEXT,
     revision    INTEGER NOT NULL,
     components  TEXT NOT NULL,
     created_at  TEXT NOT NULL,
     deployed_at TEXT NOT NULL
   );
   CREATE TABLE links (
     app_id   INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
     label    TEXT NOT NULL,
     store_id TEXT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
     PRIMARY KEY (app_id, label)
   );
   CREATE INDEX links_by_store ON links (store_id, label);`,
  // Where deploy wrote each app's runtime config, so link and unlink rewrite it too
  // (RUNTIME_CONFIGS_SCHEMA; migrating to it carries over kvcloud 0.1's runtime-configs.json).
  `CREATE TABLE runtime_configs (
     app_id         INTEGER PRIMARY KEY REFERENCES apps (id) ON DELETE CASCADE,
     runtime_config TEXT NOT NULL,
     manifest       TEXT NOT NULL
   );`,
  // Store files that may be unused: made for a create or deploy not yet committed, or left by a
  // store delete still emptying them. The next backend open removes those whose owner died.
  `CREATE TABLE orphan_files (
     id    TEXT PRIMARY KEY,
     owner INTEGER NOT NULL
   );`,
]

/** The schema version that added runtime_configs. */
const RUNTIME_CONFIGS_SCHEMA = 2

export interface StoreRow {
  id: string
  name: string
  primary_ns: string
  created_at: string
}

export interface AppRow {
  id: number
  name: string
  version: string | null
  description: string | null
  revision: number
  components: string
  created_at: string
  deployed_at: string
}

export interface RuntimeConfigRow {
  runtime_config: string
  manifest: string
}

export interface LinkRow {
  app: string
  label: string
  store: string
  store_id: string
}

/** The catalog of stores, apps and links (kvcloud's own file, so WAL is fine here). */
export class Catalog {
  readonly db: Db
  private readonly statements = new Map<string, Statement>()
  private readonly dataVersion: Statement<[], number>
  /** Writes through this connection, which PRAGMA data_version does not count. */
  private ownWrites = 0

  constructor(readonly path: string, private readonly options: {exclusive?: boolean} = {}) {
    this.db = openDatabase(path, WHAT, {create: true, exclusive: options.exclusive})
    try {
      this.db.pragma('journal_mode = WAL')
      this.db.pragma('foreign_keys = ON')
      this.migrate()
    } catch (error) {
      this.db.close()
      throw (error as {code?: string}).code?.startsWith('SQLITE_') ? damagedFileError(path, WHAT, error) : error
    }
    this.dataVersion = this.db.prepare<[], number>('PRAGMA data_version').pluck()
  }

  /**
   * A number that is different whenever the catalog may have changed since it was last seen:
   * a commit by any other connection, in this process or another (PRAGMA data_version, one cheap
   * read of the WAL index), or a write through this one. What was read from the catalog while
   * it stays the same is still true, so callers may keep it.
   */
  changeMark(): number {
    // Held exclusively, no other connection can commit: this connection's writes are all there is.
    if (this.options.exclusive) return this.ownWrites
    // Both parts only grow, so their sum changes whenever either does.
    return this.dataVersion.get()! + this.ownWrites
  }

  sqlite(): SqliteDescription {
    return {binding: sqliteBinding().name, version: this.db.prepare<[], string>('SELECT sqlite_version()').pluck().get()!}
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', {simple: true}) as number
    if (version > MIGRATIONS.length) {
      throw new UnavailableError(
        `The kvcloud catalog ${this.path} was written by a newer kvcloud (schema ${version}; this one knows ${MIGRATIONS.length}).`,
        ['Upgrade kvcloud, or set KVCLOUD_HOME to another folder.'],
      )
    }
    if (version === MIGRATIONS.length) return
    let legacyFile: string | undefined
    this.write(() => {
      // Re-read inside the lock: another process may have migrated meanwhile.
      const current = this.db.pragma('user_version', {simple: true}) as number
      for (let next = current; next < MIGRATIONS.length; next++) {
        this.db.exec(MIGRATIONS[next]!)
        this.db.pragma(`user_version = ${next + 1}`)
      }
      if (current < RUNTIME_CONFIGS_SCHEMA) legacyFile = this.importLegacyRuntimeConfigs()
    })
    // Only once its records are committed.
    if (legacyFile) rmSync(legacyFile, {force: true})
  }

  /** Inside the migration's transaction; returns the file to remove once it commits. */
  private importLegacyRuntimeConfigs(): string {
    const {file, records} = readLegacyRuntimeConfigs(dirname(this.path))
    for (const record of records) {
      const app = this.appByName(record.app)
      if (app) this.setRuntimeConfig(app.id, {runtime_config: record.runtimeConfig, manifest: record.manifest})
    }
    return file
  }

  /** Prepared once per catalog: a server answers many requests on one connection. */
  private sql<P extends unknown[] | object = unknown[], R = unknown>(text: string): Statement<P, R> {
    let statement = this.statements.get(text)
    if (!statement) {
      statement = this.db.prepare(text)
      this.statements.set(text, statement)
    }
    return statement as unknown as Statement<P, R>
  }

  /** A statement that changes the catalog: counted, since data_version does not see this connection's own writes. */
  private change<P extends unknown[] | object = unknown[]>(text: string): Statement<P, unknown> {
    this.ownWrites++
    return this.sql<P>(text)
  }

  write<T>(work: () => T): T {
    // Counted before (reads inside the transaction see changes not yet committed) and after
    // (whether it committed or rolled back), so nothing read meanwhile outlives it.
    this.ownWrites++
    try {
      return writeTransaction(this.db, this.path, WHAT, work)
    } finally {
      this.ownWrites++
    }
  }

  storeByName(name: string): StoreRow | undefined {
    return this.sql<[string], StoreRow>('SELECT * FROM stores WHERE name = ?').get(name)
  }

  storeById(id: string): StoreRow | undefined {
    return this.sql<[string], StoreRow>('SELECT * FROM stores WHERE id = ?').get(id)
  }

  storesAfter(after: string, limit: number, appName?: string): StoreRow[] {
    if (appName === undefined) {
      return this.sql<[string, number], StoreRow>('SELECT * FROM stores WHERE name > ? ORDER BY name LIMIT ?').all(after, limit)
    }
    return this.sql<[string, string, number], StoreRow>(
      `SELECT * FROM stores WHERE name > ? AND id IN (
         SELECT store_id FROM links JOIN apps ON apps.id = links.app_id WHERE apps.name = ?
       ) ORDER BY name LIMIT ?`,
    ).all(after, appName, limit)
  }

  linksOfStores(storeIds: string[]): LinkRow[] {
    if (storeIds.length === 0) return []
    const marks = storeIds.map(() => '?').join(',')
    return this.sql<string[], LinkRow>(
      `SELECT apps.name AS app, links.label, stores.name AS store, stores.id AS store_id
         FROM links JOIN apps ON apps.id = links.app_id JOIN stores ON stores.id = links.store_id
        WHERE links.store_id IN (${marks}) ORDER BY apps.name, links.label`,
    ).all(...storeIds)
  }

  linksOfApp(appId: number): LinkRow[] {
    return this.sql<[number], LinkRow>(
      `SELECT apps.name AS app, links.label, stores.name AS store, stores.id AS store_id
         FROM links JOIN apps ON apps.id = links.app_id JOIN stores ON stores.id = links.store_id
        WHERE links.app_id = ? ORDER BY links.label`,
    ).all(appId)
  }

  /** The distinct labels a store is linked under: the namespaces its file must hold. */
  labelsOfStore(storeId: string): string[] {
    return this.sql<[string], {label: string}>('SELECT DISTINCT label FROM links WHERE store_id = ? ORDER BY label')
      .all(storeId).map((row) => row.label)
  }

  appByName(name: string): AppRow | undefined {
    return this.sql<[string], AppRow>('SELECT * FROM apps WHERE name = ?').get(name)
  }

  appsAfter(after: string, limit: number): AppRow[] {
    return this.sql<[string, number], AppRow>('SELECT * FROM apps WHERE name > ? ORDER BY name LIMIT ?').all(after, limit)
  }

  linkOf(appId: number, label: string): LinkRow | undefined {
    return this.sql<[number, string], LinkRow>(
      `SELECT apps.name AS app, links.label, stores.name AS store, stores.id AS store_id
         FROM links JOIN apps ON apps.id = links.app_id JOIN stores ON stores.id = links.store_id
        WHERE links.app_id = ? AND links.label = ?`,
    ).get(appId, label)
  }

  insertStore(row: StoreRow): void {
    this.change('INSERT INTO stores (id, name, primary_ns, created_at) VALUES (@id, @name, @primary_ns, @created_at)').run(row)
  }

  setPrimaryNamespace(storeId: string, namespace: string): void {
    this.change('UPDATE stores SET primary_ns = ? WHERE id = ?').run(namespace, storeId)
  }

  renameStore(storeId: string, newName: string): void {
    this.change('UPDATE stores SET name = ? WHERE id = ?').run(newName, storeId)
  }

  deleteStore(storeId: string): void {
    this.change('DELETE FROM stores WHERE id = ?').run(storeId)
  }

  upsertLink(appId: number, label: string, storeId: string): void {
    this.change(
      'INSERT INTO links (app_id, label, store_id) VALUES (?, ?, ?) ON CONFLICT (app_id, label) DO UPDATE SET store_id = excluded.store_id',
    ).run(appId, label, storeId)
  }

  deleteLink(appId: number, label: string): void {
    this.change('DELETE FROM links WHERE app_id = ? AND label = ?').run(appId, label)
  }

  /** Creates or updates an app for a deploy, bumping its revision; returns its id and new revision. */
  saveApp(app: {name: string; version?: string; description?: string; components: ComponentInfo[]}, now: string): {id: number; revision: number} {
    const existing = this.appByName(app.name)
    const components = JSON.stringify(app.components)
    if (existing) {
      const revision = existing.revision + 1
      this.change('UPDATE apps SET version = ?, description = ?, revision = ?, components = ?, deployed_at = ? WHERE id = ?')
        .run(app.version ?? null, app.description ?? null, revision, components, now, existing.id)
      return {id: existing.id, revision}
    }
    const {lastInsertRowid} = this.change(
      'INSERT INTO apps (name, version, description, revision, components, created_at, deployed_at) VALUES (?, ?, ?, 1, ?, ?, ?)',
    ).run(app.name, app.version ?? null, app.description ?? null, components, now, now)
    return {id: Number(lastInsertRowid), revision: 1}
  }

  runtimeConfigOf(appId: number): RuntimeConfigRow | undefined {
    return this.sql<[number], RuntimeConfigRow>('SELECT runtime_config, manifest FROM runtime_configs WHERE app_id = ?').get(appId)
  }

  setRuntimeConfig(appId: number, row: RuntimeConfigRow): void {
    this.change(
      `INSERT INTO runtime_configs (app_id, runtime_config, manifest) VALUES (?, ?, ?)
       ON CONFLICT (app_id) DO UPDATE SET runtime_config = excluded.runtime_config, manifest = excluded.manifest`,
    ).run(appId, row.runtime_config, row.manifest)
  }

  /** Records store files that are unused until a later commit says otherwise (see orphan_files). */
  addOrphans(ids: string[], owner: number): void {
    for (const id of ids) this.change('INSERT OR REPLACE INTO orphan_files (id, owner) VALUES (?, ?)').run(id, owner)
  }

  removeOrphans(ids: string[]): void {
    for (const id of ids) this.change('DELETE FROM orphan_files WHERE id = ?').run(id)
  }

  orphans(): Array<{id: string; owner: number}> {
    return this.sql<[], {id: string; owner: number}>('SELECT id, owner FROM orphan_files').all()
  }

  deleteApp(appId: number): void {
    this.change('DELETE FROM apps WHERE id = ?').run(appId)
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}
