import {UserConfig} from '../config.js'
import {HttpBackend} from '../http/http-backend.js'

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
