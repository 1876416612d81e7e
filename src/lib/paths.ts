import envPaths from 'env-paths'
import {join} from 'node:path'

/** Where kvcloud keeps its config and data. `KVCLOUD_HOME` puts both in one folder (tests, scripted profiles). */
export interface KvcloudPaths {
  configDir: string
  dataDir: string
  configFile: string
}

export function resolvePaths(env: NodeJS.ProcessEnv = process.env): KvcloudPaths {
  const home = env.KVCLOUD_HOME
  if (home) {
    return {configDir: home, dataDir: home, configFile: join(home, 'config.json')}
  }
  const platform = envPaths('kvcloud', {suffix: ''})
  return {configDir: platform.config, dataDir: platform.data, configFile: join(platform.config, 'config.json')}
}
