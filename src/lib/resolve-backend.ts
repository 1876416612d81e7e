import type {Backend} from './backend.js'
import {UserConfig} from './config.js'
import {InvalidInputError} from './errors.js'

export interface BackendChoice {
  /** `--local` given, or KVCLOUD_BACKEND=local. */
  forceLocal?: boolean
  env?: NodeJS.ProcessEnv
}

/**
 * Picks the backend: local when forced; remote when KVCLOUD_URL/KVCLOUD_TOKEN are set or a login
 * is saved; local otherwise. Each implementation is imported only when chosen, so a local
 * command never loads the HTTP client.
 */
export async function resolveBackend(choice: BackendChoice = {}): Promise<Backend> {
  const env = choice.env ?? process.env
  const config = await UserConfig.open({env})
  const forced = env.KVCLOUD_BACKEND
  if (forced && forced !== 'local' && forced !== 'remote') {
    throw new InvalidInputError(`KVCLOUD_BACKEND is "${forced}"; it must be "local" or "remote".`)
  }
  const remote = remoteSettings(config, env)
  if (choice.forceLocal || forced === 'local' || (!remote && forced !== 'remote')) {
    const {LocalBackend} = await import('./local/local-backend.js')
    return LocalBackend.open({home: config.paths.dataDir, limits: config.limits})
  }
  if (!remote) {
    throw new InvalidInputError('KVCLOUD_BACKEND is "remote" but no server is configured.', [
      'Run "kvcloud login --url URL --token TOKEN", or set KVCLOUD_URL and KVCLOUD_TOKEN.',
    ])
  }
  const {HttpBackend} = await import('./remote/http-backend.js')
  return HttpBackend.connect({url: remote.url, token: remote.token, limits: config.limits})
}

export function remoteSettings(config: UserConfig, env: NodeJS.ProcessEnv): {url: string; token: string} | undefined {
  const url = env.KVCLOUD_URL ?? config.settings.login?.url
  const token = env.KVCLOUD_TOKEN ?? config.settings.login?.token
  if (env.KVCLOUD_URL && !env.KVCLOUD_TOKEN && !config.settings.login?.token) {
    throw new InvalidInputError(`KVCLOUD_URL is set to ${env.KVCLOUD_URL} but no token is given.`, [
      'Set KVCLOUD_TOKEN too, or run "kvcloud login --url URL --token TOKEN".',
    ])
  }
  return url && token ? {url, token} : undefined
}
