import {existsSync, mkdirSync} from 'node:fs'
import type Conf from 'conf'
import {UnavailableError} from '../errors.js'
import {resolvePaths, type KvcloudPaths} from '../paths.js'
import {DEFAULT_LIMITS} from '../validation.js'
import type {Limits} from '../backend.js'

/** What kvcloud remembers between runs. Tokens live here, so the file is written mode 0600. */
export interface Settings {
  login?: {url: string; token: string; account: string}
  limits?: Partial<Limits>
  /** Bumped when the shape changes; a newer file is refused rather than rewritten. */
  configVersion?: number
}

export const CONFIG_VERSION = 1

export class UserConfig {
  private constructor(readonly paths: KvcloudPaths, private readonly store: Conf<Settings> | undefined) {}

  /**
   * Opens the user's config. conf is only loaded when the file exists or a write is coming,
   * which keeps it off the hot path of a first-time or purely local user.
   */
  static async open(options: {forWriting?: boolean; env?: NodeJS.ProcessEnv} = {}): Promise<UserConfig> {
    const paths = resolvePaths(options.env)
    if (!options.forWriting && !existsSync(paths.configFile)) return new UserConfig(paths, undefined)
    // The folder holds a token: private to this user, as the file itself is (0600).
    if (options.forWriting) mkdirSync(paths.configDir, {recursive: true, mode: 0o700})
    const {default: ConfClass} = await import('conf')
    let store: Conf<Settings>
    try {
      store = new ConfClass<Settings>({
        cwd: paths.configDir,
        configName: 'config',
        projectName: 'kvcloud',
        configFileMode: 0o600,
        clearInvalidConfig: false,
      })
    } catch (error) {
      throw new UnavailableError(
        `Cannot read the kvcloud config file ${paths.configFile}: ${(error as Error).message}`,
        ['Fix or remove that file (it holds your login and limits), then run the command again.'],
      )
    }
    const version = store.get('configVersion')
    if (typeof version === 'number' && version > CONFIG_VERSION) {
      throw new UnavailableError(
        `The config file ${paths.configFile} was written by a newer kvcloud (config version ${version}; this one knows ${CONFIG_VERSION}).`,
        ['Upgrade kvcloud, or point KVCLOUD_HOME at another folder.'],
      )
    }
    return new UserConfig(paths, store)
  }

  get settings(): Settings {
    return this.store?.store ?? {}
  }

  get limits(): Limits {
    return {...DEFAULT_LIMITS, ...this.settings.limits}
  }

  set<K extends keyof Settings>(key: K, value: Settings[K]): void {
    if (!this.store) throw new Error('config opened read-only')
    this.store.set('configVersion', CONFIG_VERSION)
    this.store.set(key, value)
  }

  delete(key: keyof Settings): void {
    this.store?.delete(key)
  }
}
