import type {Backend} from '../backend.js'
import {UserConfig} from './config.js'
import {InvalidInputError} from '../errors.js'
import type {AccountRegistry} from '../sqlite/accounts.js'
import {commandLine} from '../cli-name.js'

export interface BackendChoice {
  /** `--local` given, or KVCLOUD_BACKEND=local. */
  forceLocal?: boolean
  env?: NodeJS.ProcessEnv
}

/** An environment variable as kvcloud reads it: set to an empty string counts as unset (like CI=). */
export function envSetting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}

/**
 * Picks the backend: local when forced; remote when KVCLOUD_URL/KVCLOUD_TOKEN are set or a login
 * is saved; local otherwise. Each implementation is imported only when chosen, so a local
 * command never loads the HTTP client.
 */
export async function resolveBackend(choice: BackendChoice = {}): Promise<Backend> {
  const env = choice.env ?? process.env
  const config = await UserConfig.open({env})
  const forced = envSetting(env, 'KVCLOUD_BACKEND')
  if (forced && forced !== 'local' && forced !== 'remote') {
    throw new InvalidInputError(`KVCLOUD_BACKEND is "${forced}"; it must be "local" or "remote".`)
  }
  const local = choice.forceLocal || forced === 'local'
  const remote = local ? undefined : remoteSettings(config, env)
  if (local || (!remote && forced !== 'remote')) {
    const {LocalBackend} = await import('../sqlite/local-backend.js')
    return LocalBackend.open({home: config.paths.dataDir, limits: config.limits})
  }
  if (!remote) {
    throw new InvalidInputError('KVCLOUD_BACKEND is "remote" but no server is configured.', [
      `Run "${commandLine('login --url URL --token TOKEN')}", or set KVCLOUD_URL and KVCLOUD_TOKEN.`,
    ])
  }

  const {HttpBackend} = await import('../http/http-backend.js')
  return HttpBackend.connect({url: remote.url, token: remote.token, limits: config.limits})
}

/**
 * The server and token to use, or undefined for none. A saved token is only ever sent to the URL
 * it was saved with: a KVCLOUD_URL naming another server needs KVCLOUD_TOKEN (or a login for that
 * URL). Empty variables count as unset, so an unset CI secret never silently means "local".
 */
export function remoteSettings(config: UserConfig, env: NodeJS.ProcessEnv): {url: string; token: string} | undefined {
  const url = envSetting(env, 'KVCLOUD_URL')
  const token = envSetting(env, 'KVCLOUD_TOKEN')
  const login = config.settings.login
  if (url !== undefined) {
    if (token !== undefined) return {url, token}
    if (login && sameServer(login.url, url)) return {url, token: login.token}
    throw new InvalidInputError(
      `KVCLOUD_URL is set to ${url}, but KVCLOUD_TOKEN is not set` +
        (login ? `, and the saved login is for another server (${login.url}); a saved token is only sent to the server it was saved for.` : ', and no login is saved.'),
      [`Set KVCLOUD_TOKEN to a token of that server, or run "${commandLine(`login --url ${url}`)}".`],
    )
  }
  if (token !== undefined) {
    if (login) return {url: login.url, token}
    throw new InvalidInputError(`KVCLOUD_TOKEN is set, but no server is: set KVCLOUD_URL too, or run "${commandLine('login --url URL')}".`)
  }
  return login ? {url: login.url, token: login.token} : undefined
}

/** The same server as the HTTP client addresses it: origin and path, without trailing slashes. */
export function sameServer(a: string, b: string): boolean {
  const canonical = (url: string) => {
    try {
      const parsed = new URL(url)
      return parsed.origin + parsed.pathname.replace(/\/+$/, '')
    } catch {
      return url
    }
  }
  return canonical(a) === canonical(b)
}

// Logging in picks the server for later commands: checked here, saved in the user config.

export interface LoginResult {
  url: string
  account: string
}

/**
 * Checks the token against the server (GET /api/whoami) and only then saves URL, token and
 * account in the user's config (mode 0600). A refused token or an unreachable server throws
 * the typed error and saves nothing.
 */
export async function login(options: {url: string; token: string; env?: NodeJS.ProcessEnv}): Promise<LoginResult> {
  const config = await UserConfig.open({env: options.env})
  const {HttpBackend} = await import('../http/http-backend.js')
  const backend = await HttpBackend.connect({url: options.url, token: options.token, limits: config.limits})
  try {
    const {account} = await backend.whoami()
    const writable = await UserConfig.open({forWriting: true, env: options.env})
    writable.set('login', {url: backend.url, token: options.token, account})
    return {url: backend.url, account}
  } finally {
    await backend.close()
  }
}

/** Forgets the saved login; returns what it was, or undefined when there was none. */
export async function logout(options: {env?: NodeJS.ProcessEnv} = {}): Promise<{url: string; account: string} | undefined> {
  const config = await UserConfig.open({env: options.env})
  const saved = config.settings.login
  if (!saved) return undefined
  const writable = await UserConfig.open({forWriting: true, env: options.env})
  writable.delete('login')
  return {url: saved.url, account: saved.account}
}

/** The accounts and tokens of a server's data folder, for the `server token` commands. */
export async function openServerAccounts(dataDir: string): Promise<AccountRegistry> {
  const {AccountRegistry} = await import('../sqlite/accounts.js')
  return AccountRegistry.open(dataDir)
}

/** Whether a server's data folder has accounts at all (it has none before its first token). */
export async function serverAccountsExist(dataDir: string): Promise<boolean> {
  const {AccountRegistry} = await import('../sqlite/accounts.js')
  return AccountRegistry.exists(dataDir)
}
