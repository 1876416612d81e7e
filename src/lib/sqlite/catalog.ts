import {rmSync} from 'node:fs'
import {dirname} from 'node:path'
import {readLegacyRuntimeConfigs} from '../spin/legacy-runtime-configs.js'
import type {ComponentInfo, SqliteDescription} from '../backend.js'
import {damagedFileError, openDatabase, writeTransaction, type Db, type Statement} from './sqlite.js'
import {sqliteBinding} from './sqlite-binding.js'
import {migrate} from './migrations.js'
import type {ResourceKind} from '../core/ports.js'

const WHAT = 'kvcloud catalog'

// Each entry moves the schema one version up (see migrate()).
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
  // Resources have a kind (key-value stores; SQLite databases next), and a label is linked once
  // per kind: a kv label and a sqlite label of the same name are two links. A link's kind is its
  // resource's, which the composite foreign key holds. Today's stores and links carry over.
  `CREATE TABLE resources (
     id         TEXT PRIMARY KEY,
     kind       TEXT NOT NULL CHECK (kind IN ('key-value', 'sqlite')),
     name       TEXT NOT NULL,
     primary_ns TEXT,
     created_at TEXT NOT NULL,
     UNIQUE (kind, name),
     UNIQUE (id, kind)
   );
   INSERT INTO resources (id, kind, name, primary_ns, created_at)
     SELECT id, 'key-value', name, primary_ns, created_at FROM stores;
   CREATE TABLE resource_links (
     app_id      INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
     kind        TEXT NOT NULL,
     label       TEXT NOT NULL,
     resource_id TEXT NOT NULL,
     PRIMARY KEY (app_id, kind, label),
     FOREIGN KEY (resource_id, kind) REFERENCES resources (id, kind) ON DELETE CASCADE
   );
   INSERT INTO resource_links (app_id, kind, label, resource_id)
     SELECT app_id, 'key-value', label, store_id FROM links;
   DROP TABLE links;
   DROP TABLE stores;
   ALTER TABLE resource_links RENAME TO links;
   CREATE INDEX links_by_resource ON links (resource_id, label);`,
]

/** The schema version that added runtime_configs. */
const RUNTIME_CONFIGS_SCHEMA = 2

export interface ResourceRow {
  id: string
  kind: ResourceKind
  name: string
  /** Key-value stores: the namespace that holds the store's own copy of its data. */
  primary_ns: string | null
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
  app_id: number
  kind: ResourceKind
  label: string
  resource_id: string
  resource: string
  resource_created_at: string
}

const LINK_COLUMNS = `apps.name AS app, links.app_id, links.kind, links.label, links.resource_id,
  resources.name AS resource, resources.created_at AS resource_created_at
  FROM links JOIN apps ON apps.id = links.app_id JOIN resources ON resources.id = links.resource_id`

/** The catalog of resources, apps and links (kvcloud's own file, so WAL is fine here). */
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
    let legacyFile: string | undefined
    migrate(this.db, {
      steps: MIGRATIONS,
      describe: `The kvcloud catalog ${this.path}`,
      newerHint: 'Upgrade kvcloud, or set KVCLOUD_HOME to another folder.',
      write: (work) => this.write(work),
      after: (from) => {
        if (from < RUNTIME_CONFIGS_SCHEMA) legacyFile = this.importLegacyRuntimeConfigs()
      },
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

  resourceByName(kind: ResourceKind, name: string): ResourceRow | undefined {
    return this.sql<[string, string], ResourceRow>('SELECT * FROM resources WHERE kind = ? AND name = ?').get(kind, name)
  }

  resourceById(id: string): ResourceRow | undefined {
    return this.sql<[string], ResourceRow>('SELECT * FROM resources WHERE id = ?').get(id)
  }

  resourcesAfter(kind: ResourceKind, after: string, limit: number, appName?: string): ResourceRow[] {
    if (appName === undefined) {
      return this.sql<[string, string, number], ResourceRow>('SELECT * FROM resources WHERE kind = ? AND name > ? ORDER BY name LIMIT ?').all(kind, after, limit)
    }
    return this.sql<[string, string, string, number], ResourceRow>(
      `SELECT * FROM resources WHERE kind = ? AND name > ? AND id IN (
         SELECT resource_id FROM links JOIN apps ON apps.id = links.app_id WHERE apps.name = ?
       ) ORDER BY name LIMIT ?`,
    ).all(kind, after, appName, limit)
  }

  linksOfResources(resourceIds: string[]): LinkRow[] {
    if (resourceIds.length === 0) return []
    const marks = resourceIds.map(() => '?').join(',')
    return this.sql<string[], LinkRow>(`SELECT ${LINK_COLUMNS} WHERE links.resource_id IN (${marks}) ORDER BY apps.name, links.label`).all(...resourceIds)
  }

  linksOfApp(appId: number): LinkRow[] {
    return this.sql<[number], LinkRow>(`SELECT ${LINK_COLUMNS} WHERE links.app_id = ? ORDER BY links.kind, links.label`).all(appId)
  }

  linkOf(appId: number, kind: ResourceKind, label: string): LinkRow | undefined {
    return this.sql<[number, string, string], LinkRow>(`SELECT ${LINK_COLUMNS} WHERE links.app_id = ? AND links.kind = ? AND links.label = ?`)
      .get(appId, kind, label)
  }

  /** The distinct labels a store is linked under: the namespaces its file must hold. */
  labelsOfStore(storeId: string): string[] {
    return this.sql<[string], {label: string}>('SELECT DISTINCT label FROM links WHERE resource_id = ? ORDER BY label')
      .all(storeId).map((row) => row.label)
  }

  appByName(name: string): AppRow | undefined {
    return this.sql<[string], AppRow>('SELECT * FROM apps WHERE name = ?').get(name)
  }

  appsAfter(after: string, limit: number): AppRow[] {
    return this.sql<[string, number], AppRow>('SELECT * FROM apps WHERE name > ? ORDER BY name LIMIT ?').all(after, limit)
  }

  insertResource(row: ResourceRow): void {
    this.change('INSERT INTO resources (id, kind, name, primary_ns, created_at) VALUES (@id, @kind, @name, @primary_ns, @created_at)').run(row)
  }

  renameResource(id: string, newName: string): void {
    this.change('UPDATE resources SET name = ? WHERE id = ?').run(newName, id)
  }

  deleteResource(id: string): void {
    this.change('DELETE FROM resources WHERE id = ?').run(id)
  }

  upsertLink(appId: number, kind: ResourceKind, label: string, resourceId: string): void {
    this.change(
      `INSERT INTO links (app_id, kind, label, resource_id) VALUES (?, ?, ?, ?)
       ON CONFLICT (app_id, kind, label) DO UPDATE SET resource_id = excluded.resource_id`,
    ).run(appId, kind, label, resourceId)
  }

  deleteLink(appId: number, kind: ResourceKind, label: string): void {
    this.change('DELETE FROM links WHERE app_id = ? AND kind = ? AND label = ?').run(appId, kind, label)
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
