import type {FastifyInstance} from 'fastify'
import {ConnectionGuard} from './connection-guard.js'
import type {ServerLimits} from './limits.js'

/**
 * Each open socket costs memory and a descriptor. Node's own maxConnections would refuse the
 * newcomer when full, which lets slow sockets lock everyone out; the guard sheds the oldest
 * connection that has no request in progress instead, and says so in the log (at most one line
 * of each kind a minute: a flood of connections must not flood the log too).
 */
export function guardConnections(app: FastifyInstance, limits: ServerLimits): ConnectionGuard {
  const lastShedNote = new Map<string, number>()
  return new ConnectionGuard(app.server, limits, (reason, refusedNewcomer) => {
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
}

/**
 * While the server drains, every answer closes its connection, so that keep-alive clients let
 * go at once instead of holding the shutdown open.
 */
export function closeConnectionsWhileDraining(app: FastifyInstance): void {
  let draining = false
  app.addHook('preClose', (done) => {
    draining = true
    done()
  })
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) void reply.header('connection', 'close')
    done(null, payload)
  })
}
