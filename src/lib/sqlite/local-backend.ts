import {randomBytes} from 'node:crypto'
import {chmodSync, mkdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import type {AppInfo, BackendDescription, Limits} from '../backend.js'
import {appInfoOf, CoreBackend} from '../core/core-backend.js'
import {resourceNotFound} from '../core/facts.js'
import {UnavailableError} from '../errors.js'
import type {RuntimeConfigLocation, SpinStoreFiles} from '../spin/app-runtime-config.js'
import {Catalog} from './catalog.js'
import {OpenFileBudget} from './open-file-budget.js'
import {appRecord, linkRecord, SqliteCatalog} from './sqlite-catalog.js'
import {SqliteKeyValue} from './sqlite-key-value.js'
import {MAX_OPEN_FILES, STORE_FILE_DESCRIPTORS, StoreFiles} from './store-files.js'

export interface LocalBackendOptions {
  /** The folder holding catalog.db and stores/. */
  home: string
  limits: Limits
  /**
   * This process is the only user of `home` (the server, which locks its data folder): keep
   * every file locked while open, so reads need no lock or change checks. Never for a folder
   * that `spin up` or other kvcloud commands read.
   */
  exclusive?: boolean
  /**
   * The descriptor budget that this backend's store files share with others (a server's
   * accounts share one); without it the backend has its own, of MAX_OPEN_FILES files.
   */
  openFiles?: OpenFileBudget
}

/**
 * The embedded backend: the core's rules over a folder's catalog and its Spin-format store
 * files, plus what only a local folder has (the file behind a store, the runtime config that
 * deploy wrote for each app).
 */
export class LocalBackend extends CoreBackend implements SpinStoreFiles {
  readonly kind = 'local' as const

  private constructor(readonly home: string, private readonly catalogFile: Catalog, private readonly files: StoreFiles, limits: Limits) {
    super({
      catalog: new SqliteCatalog(catalogFile, files),
      keyValue: new SqliteKeyValue(catalogFile, files),
      newId: () => randomBytes(8).toString('hex'),
    }, limits)
  }

  static open(options: LocalBackendOptions): LocalBackend {
    const stores = join(options.home, 'stores')
    try {
      // Private to this user: another local user must not read the stores.
      mkdirSync(options.home, {recursive: true, mode: 0o700})
      mkdirSync(stores, {recursive: true, mode: 0o700})
      if ((statSync(stores).mode & 0o077) !== 0) chmodSync(stores, 0o700)
    } catch (error) {
      throw new UnavailableError(`Cannot create the kvcloud data folder ${options.home}: ${(error as Error).message}`, [
        'Set KVCLOUD_HOME to a folder you can write to.',
      ])
    }
    const catalog = new Catalog(join(options.home, 'catalog.db'), {exclusive: options.exclusive ?? false})
    const budget = options.openFiles ?? new OpenFileBudget(MAX_OPEN_FILES * STORE_FILE_DESCRIPTORS)
    return new LocalBackend(options.home, catalog, new StoreFiles(stores, catalog, budget), options.limits)
  }

  /** This backend's stores are Spin-format files: it offers what runtime config files need. */
  get storeFiles(): SpinStoreFiles {
    return this
  }

  get storesFolder(): string {
    return this.files.folder
  }

  async describe(): Promise<BackendDescription> {
    return {kind: 'local', home: this.home, catalog: this.catalogFile.path, sqlite: this.catalogFile.sqlite()}
  }

  /** The Spin-format file behind a store, for runtime config files. */
  storeFilePath(name: string): string {
    const store = this.catalogFile.resourceByName('key-value', name)
    if (!store) throw resourceNotFound('key-value', name)
    return this.files.path(store.id)
  }

  /** Where deploy last wrote the app's runtime config, so link and unlink rewrite it too. */
  async runtimeConfigLocation(app: string): Promise<RuntimeConfigLocation | undefined> {
    const row = this.catalogFile.runtimeConfigOf((await this.requireApp(app)).id)
    return row && {runtimeConfig: row.runtime_config, manifest: row.manifest}
  }

  async rememberRuntimeConfig(app: string, location: RuntimeConfigLocation): Promise<void> {
    const known = await this.runtimeConfigLocation(app)
    if (known?.runtimeConfig === location.runtimeConfig && known.manifest === location.manifest) return
    const {id} = await this.requireApp(app)
    // Deleting the app deletes this record with it (ON DELETE CASCADE).
    this.catalogFile.write(() => this.catalogFile.setRuntimeConfig(id, {runtime_config: location.runtimeConfig, manifest: location.manifest}))
  }

  /** Runs `work` holding the catalog's write lock, with the app as it is then (deploy's runtime config step). */
  withAppsHeld<T>(app: string, work: (now: {app?: AppInfo; location?: RuntimeConfigLocation}) => T): T {
    return this.catalogFile.write(() => {
      const row = this.catalogFile.appByName(app)
      if (!row) return work({})
      const location = this.catalogFile.runtimeConfigOf(row.id)
      return work({
        app: appInfoOf(appRecord(row), this.catalogFile.linksOfApp(row.id).map(linkRecord)),
        location: location && {runtimeConfig: location.runtime_config, manifest: location.manifest},
      })
    })
  }
}
