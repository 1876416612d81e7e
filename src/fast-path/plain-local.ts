import {existsSync} from 'node:fs'
import {resolvePaths, type KvcloudPaths} from '../lib/paths.js'

/**
 * The paths of the local backend when a fast path may serve this run: plainly local, with no
 * server settings and no config file (which may hold a login or raised limits). Undefined when
 * the full command must decide.
 */
export function plainLocalPaths(env: NodeJS.ProcessEnv, forceLocal: boolean | undefined): KvcloudPaths | undefined {
  if (env.KVCLOUD_BACKEND !== undefined && env.KVCLOUD_BACKEND !== 'local') return undefined
  if (!forceLocal && env.KVCLOUD_BACKEND !== 'local' && (env.KVCLOUD_URL || env.KVCLOUD_TOKEN)) return undefined
  const paths = resolvePaths(env)
  return existsSync(paths.configFile) ? undefined : paths
}
