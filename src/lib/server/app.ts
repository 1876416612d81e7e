import Fastify, {type FastifyInstance, type FastifyServerOptions} from 'fastify'
import {PAIR_PREFIXES, SERVER_VERSION, serverRoutes} from '../api/routes.js'
import {appRoutes} from './app-routes.js'
import {recheckToken, requireTokens} from './auth.js'
import {useBodyParsers} from './body-parsers.js'
import type {AccountBackendSource, AccountStore, ServerContext} from './context.js'
import {answerErrors} from './error-answers.js'
import {ImportGate} from './import-gate.js'
import {closeConnectionsWhileDraining, guardConnections} from './lifecycle.js'
import type {ServerLimits} from './limits.js'
import {serveOpenApi} from './openapi.js'
import {pairRoutes} from './pair-routes.js'
import {logBudgets, OneLinePerRequest} from './request-log.js'
import {storeRoutes} from './store-routes.js'

/** What the server is made of; the caller owns each part (and closes it, see buildServer). */
export interface ServerParts {
  limits: ServerLimits
  /** Which account a token belongs to. */
  accounts: AccountStore
  /** Each account's backend. */
  backends: AccountBackendSource
  /** One import per store at a time, within the import memory budget (a gate of the limits' size by default). */
  imports?: ImportGate
  /** Fastify's logger option: false, true (JSON lines on stdout), or pino options such as {level, stream}. */
  logger?: FastifyServerOptions['logger']
}

/**
 * The kvcloud server's Fastify instance, composed of the parts it is given: the Backend
 * interface over HTTP, Fermyon Cloud's paths and bodies where they exist, kvcloud's extensions
 * under a store's path for the rest. Opens nothing and closes nothing of its own; `listen()` is
 * the caller's.
 */
export function createServer(parts: ServerParts): FastifyInstance {
  const {limits, accounts, backends} = parts
  const app = Fastify({
    logger: parts.logger ?? false,
    logController: new OneLinePerRequest(),
    bodyLimit: limits.maxRequestBytes,
    // Keys travel in a wildcard segment; names (app names up to 128 characters) in params.
    routerOptions: {maxParamLength: 2048},
    // The token is the client's identity; a request id from outside would only confuse the log.
    requestIdHeader: false,
    // Close idle keep-alive connections on shutdown; in-flight requests finish first.
    forceCloseConnections: 'idle',
    // A request that comes on an open connection while the server drains is served (its answer
    // says "Connection: close") rather than refused with 503: the databases stay open until
    // every connection has ended, so serving it is safe, and its client gets a real answer.
    return503OnClosing: false,
    // Fastify turns Node's request timeout off and sets no idle timeout, so a client that opens
    // sockets and sends nothing, or trickles a body, would hold them for ever.
    connectionTimeout: limits.idleTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // Node checks those deadlines every 30 s by default: a slow-header client would hold its
    // socket that much longer than the headers timeout. Checked every second (or closer).
    http: {
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
      headersTimeout: limits.headersTimeoutMs,
    },
  })
  logBudgets(app.log, limits)
  const connections = guardConnections(app, limits)
  closeConnectionsWhileDraining(app)
  useBodyParsers(app)
  requireTokens(app, accounts, backends, (request) => connections.authenticated(request.raw.socket))
  answerErrors(app, limits)

  const context: ServerContext = {
    limits,
    backends,
    imports: parts.imports ?? new ImportGate(limits.maxImportMemoryBytes, limits.importWaitMs),
    recheckToken: (request) => recheckToken(accounts, request),
  }
  serveOpenApi(app)
  void app.register(async (api) => {
    api.route({...serverRoutes.health, handler: async () => ({status: 'ok' as const})})
    api.route({
      ...serverRoutes.whoami,
      handler: async (request) => ({
        account: request.account!.name,
        serverVersion: SERVER_VERSION,
        limits: {maxKeyBytes: limits.maxKeyBytes, maxValueBytes: limits.maxValueBytes, maxRequestBytes: limits.maxRequestBytes, maxImportBytes: limits.maxImportBytes},
      }),
    })
    await api.register(storeRoutes, context)
    for (const {prefix, params} of PAIR_PREFIXES) await api.register(pairRoutes, {...context, params, prefix})
    await api.register(appRoutes, context)
  })
  return app
}
