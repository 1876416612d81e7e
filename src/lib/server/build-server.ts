import Fastify, {LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions} from 'fastify'
import {KvError, UnauthorizedError} from '../errors.js'
import {NDJSON} from '../remote/wire.js'
import {AccountBackends} from './account-backends.js'
import {AccountRegistry, type Account} from './accounts.js'
import {ConnectionGuard} from './connection-guard.js'
import {DataFolderLock} from './data-folder-lock.js'
import {appRoutes} from './app-routes.js'
import {discardRestOfBody} from './discard-body.js'
import {ImportGate, ServerBusyError} from './import-gate.js'
import {resolveServerLimits, type ServerLimits} from './limits.js'
import {pairRoutes} from './pair-routes.js'
import {storeRoutes} from './store-routes.js'
import {useStrictJsonParser} from './strict-json.js'
import {commandLine} from '../cli-name.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The account whose token came with the request (set for every /api route). */
    account: Account | null
  }
}

export const SERVER_VERSION = 1

/** Routes answered without a token. */
const PUBLIC_ROUTES = new Set(['/healthz'])

export interface ServerOptions {
  /** Holds server.db (accounts, token hashes) and accounts/<id>/ (each account's stores). */
  dataDir: string
  limits?: Partial<ServerLimits>
  /** Fastify's logger option: false, true (JSON lines on stdout), or pino options such as {level, stream}. */
  logger?: FastifyServerOptions['logger']
}

/** What route plugins need; they hold no state of their own. */
export interface ServerContext {
  limits: ServerLimits
  backends: AccountBackends
  imports: ImportGate
  /**
   * Checks the request's token again (UnauthorizedError once it is revoked), for requests that
   * last: an import streaming for minutes must stop when its token is revoked.
   */
  recheckToken(request: FastifyRequest): void
}

/**
 * The kvcloud server: the Backend interface over HTTP, Fermyon Cloud's paths and bodies where
 * they exist, kvcloud's extensions under a store's path for the rest. `listen()` is the caller's.
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
  const context: ServerContext = {
    limits,
    backends,
    imports: new ImportGate(limits.maxImportMemoryBytes, limits.importWaitMs),
    recheckToken(request) {
      const account = authenticate(registry, request.headers.authorization)
      if (account.id !== request.account?.id) throw new UnauthorizedError('The token is not valid: it is unknown or has been revoked.')
    },
  }

  const app = Fastify({
    logger: options.logger ?? false,
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
  app.log.info(
    {descriptorLimit: limits.descriptorLimit ?? 'unlimited', maxConnections: limits.maxConnections, openFileDescriptors: limits.openFileDescriptors},
    'descriptors: budgets sized from the limit read at start',
  )
  if (limits.maxConnectionsAsked !== undefined) {
    app.log.warn(
      {descriptorLimit: limits.descriptorLimit, asked: limits.maxConnectionsAsked, maxConnections: limits.maxConnections},
      `max connections lowered to ${limits.maxConnections}: the descriptor limit (${limits.descriptorLimit}) leaves no room for ${limits.maxConnectionsAsked} connections and the stores; raise it with "ulimit -n"`,
    )
  }
  // Each open socket costs memory and a descriptor. Node's own maxConnections would refuse the
  // newcomer when full, which lets slow sockets lock everyone out; the guard sheds the oldest
  // connection that has no request in progress instead.
  const lastShedNote = new Map<string, number>()
  const connections = new ConnectionGuard(app.server, limits, (reason, refusedNewcomer) => {
    // At most one line of each kind a minute: a flood of connections must not flood the log too.
    const kind = `${reason}-${refusedNewcomer}`
    if (Date.now() - (lastShedNote.get(kind) ?? -Infinity) < 60_000) return
    lastShedNote.set(kind, Date.now())
    app.log.warn(
      {maxConnections: limits.maxConnections, maxUnauthenticatedConnections: limits.maxUnauthenticatedConnections, reason, refusedNewcomer},
      refusedNewcomer
        ? 'connection refused: every connection the server holds has a request in progress'
        : `connection closed to make room: the server holds its maximum number of ${reason === 'unauthenticated' ? 'unauthenticated ' : ''}connections; the oldest one without a request in progress was closed`,
    )
  })

  app.decorateRequest('account', null)

  // While the server drains, every answer closes its connection, so that keep-alive clients
  // let go at once instead of holding the shutdown open.
  let draining = false
  app.addHook('preClose', (done) => {
    draining = true
    done()
  })
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) void reply.header('connection', 'close')
    done(null, payload)
  })

  useStrictJsonParser(app)
  app.addContentTypeParser('application/octet-stream', {parseAs: 'buffer'}, (_request, body, done) => done(null, body))
  // Imports stream: the route reads the body itself, line by line, within its own limits.
  app.addContentTypeParser(NDJSON, (_request, payload, done) => done(null, payload))

  // Every request needs a token but the few public routes. Decided by the route the router
  // matched, never by the raw URL: "/%61pi/whoami" reaches the /api/whoami route too.
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url !== undefined && PUBLIC_ROUTES.has(request.routeOptions.url)) return
    request.account = authenticate(registry, request.headers.authorization)
    connections.authenticated(request.raw.socket)
    // The account's files stay open until the answer has gone out (or the client went away).
    reply.raw.once('close', backends.acquire(request.account))
  })

  app.setErrorHandler((error: FastifyError | KvError, request, reply) => sendError(error, request, reply, limits))
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({detail: `No route for ${request.method} ${request.url.split('?')[0]}`})
  })

  app.get('/healthz', async () => ({status: 'ok'}))
  app.get('/api/whoami', async (request) => ({
    account: request.account!.name,
    serverVersion: SERVER_VERSION,
    limits: {maxKeyBytes: limits.maxKeyBytes, maxValueBytes: limits.maxValueBytes, maxRequestBytes: limits.maxRequestBytes, maxImportBytes: limits.maxImportBytes},
  }))

  void app.register(storeRoutes, context)
  void app.register(pairRoutes, {...context, prefix: '/api/key-value-stores/:store'})
  void app.register(pairRoutes, {...context, prefix: '/api/apps/:app/labels/:label'})
  void app.register(appRoutes, context)

  app.addHook('onClose', async () => {
    await backends.closeAll()
    registry.close()
    lock.release()
  })
  return app
}

function authenticate(registry: AccountRegistry, header: string | undefined): Account {
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header ?? '')
  if (!match) throw new UnauthorizedError('Missing bearer token: send the header "Authorization: Bearer TOKEN".')
  const account = registry.authenticate(match[1]!)
  if (!account) throw new UnauthorizedError('The token is not valid: it is unknown or has been revoked.')
  return account
}

function sendError(error: FastifyError | KvError, request: FastifyRequest, reply: FastifyReply, limits: ServerLimits): void {
  // An answer given before the body is read (401, 413, 415...): Fastify asks to close the
  // connection, but closing on unread data resets it before the client reads the answer.
  // Read the rest away for a moment instead; a client that keeps on sending is cut off.
  reply.removeHeader('connection')
  discardRestOfBody(request.raw, request.raw.socket)
  if (error instanceof ServerBusyError) {
    void reply.code(503).header('retry-after', String(error.retryAfterSeconds)).send({detail: error.message, hints: error.hints})
    return
  }
  if (error instanceof KvError) {
    if (error.kind === 'unavailable') {
      // Storage trouble names server-side files: the operator's log gets it, the client a summary.
      request.log.error({err: error}, 'storage failure')
      void reply.code(503).send({detail: 'The server cannot use its storage right now; its log has the details.'})
      return
    }
    if (error.kind === 'unauthorized') void reply.header('www-authenticate', 'Bearer')
    const hints = error.kind === 'too-large'
      // A hint naming the client's own config does not apply here; on a server the operator sets the limits.
      ? [
        ...error.hints.filter((hint) => !hint.includes('kvcloud config set')),
        `This server's limits: keys ${limits.maxKeyBytes} bytes, values ${limits.maxValueBytes} bytes, imports ${limits.maxImportBytes} bytes; its operator sets them with "${commandLine('server start')}".`,
      ]
      : error.hints
    void reply.code(error.httpStatus).send({detail: error.message, ...(hints.length > 0 ? {hints} : {})})
    return
  }
  const fastifyError = error as FastifyError
  if (fastifyError.validation) {
    const errors: Record<string, string[]> = {}
    for (const problem of fastifyError.validation) {
      const missing = (problem.params as {missingProperty?: string}).missingProperty
      const path = problem.instancePath.split('/').filter(Boolean)
      if (missing) path.push(missing)
      const field = path.length > 0 ? path.join('.') : (fastifyError.validationContext ?? 'body')
      ;(errors[field] ??= []).push(missing ? 'is required' : (problem.message ?? 'is invalid'))
    }
    void reply.code(400).send({title: `The request ${fastifyError.validationContext ?? 'body'} is not valid.`, errors})
    return
  }
  const status = fastifyError.statusCode ?? 500
  if (status === 413) {
    void reply.code(413).send({detail: `The request body is larger than this server's limit for ${request.method} ${request.routeOptions.url ?? 'this route'} (${request.routeOptions.bodyLimit ?? limits.maxRequestBytes} bytes).`})
    return
  }
  if (status >= 400 && status < 500) {
    void reply.code(status).send({detail: fastifyError.message})
    return
  }
  request.log.error({err: error}, 'request failed')
  void reply.code(500).send({detail: 'The server failed to handle the request; its log has the details.'})
}

/** One structured line per request (method, path, status, time, account); never a header. */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override defaultErrorLog(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      responseTime: Math.round(reply.elapsedTime * 100) / 100,
      ...(request.account ? {account: request.account.name} : {}),
      ...(error ? {err: error} : {}),
    }
    if (error) reply.log.error(line, 'request errored')
    else reply.log.info(line, 'request')
  }
}
