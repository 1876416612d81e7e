import {LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest} from 'fastify'
import type {ServerLimits} from './limits.js'

/** One structured line per request (method, path, status, time, account); never a header. */
export class OneLinePerRequest extends LogController {
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

/** The budgets the server sized from its descriptor limit, said once at start. */
export function logBudgets(log: FastifyBaseLogger, limits: ServerLimits): void {
  log.info(
    {descriptorLimit: limits.descriptorLimit ?? 'unlimited', maxConnections: limits.maxConnections, openFileDescriptors: limits.openFileDescriptors},
    'descriptors: budgets sized from the limit read at start',
  )
  if (limits.maxConnectionsAsked !== undefined) {
    log.warn(
      {descriptorLimit: limits.descriptorLimit, asked: limits.maxConnectionsAsked, maxConnections: limits.maxConnections},
      `max connections lowered to ${limits.maxConnections}: the descriptor limit (${limits.descriptorLimit}) leaves no room for ${limits.maxConnectionsAsked} connections and the stores; raise it with "ulimit -n"`,
    )
  }
}
