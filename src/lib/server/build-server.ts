import type {FastifyInstance, FastifyServerOptions} from 'fastify'
import {AccountBackends} from './account-backends.js'
import {AccountRegistry} from '../sqlite/accounts.js'
import {createServer} from './app.js'
import {DataFolderLock} from '../sqlite/data-folder-lock.js'
import {resolveServerLimits, type ServerLimits} from './limits.js'

export interface ServerOptions {
  /** Holds server.db (accounts, token hashes) and accounts/<id>/ (each account's stores). */
  dataDir: string
  limits?: Partial<ServerLimits>
  /** Fastify's logger option: false, true (JSON lines on stdout), or pino options such as {level, stream}. */
  logger?: FastifyServerOptions['logger']
}

/**
 * The kvcloud server over a data folder: its account registry (server.db), one local backend
 * per account under accounts/<id>/, and the folder's lock, all closed with the server.
 */
export function buildServer(options: ServerOptions): FastifyInstance {
  const limits = resolveServerLimits(options.limits)
  const registry = AccountRegistry.open(options.dataDir)
  let lock: DataFolderLock
  try {
    lock = DataFolderLock.acquire(options.dataDir)
  } catch (error) {
    registry.close()
    throw error
  }
  const backends = new AccountBackends(registry, limits)
  const app = createServer({limits, accounts: registry, backends, logger: options.logger})
  app.addHook('onClose', async () => {
    await backends.closeAll()
    registry.close()
    lock.release()
  })
  return app
}
