import type {Server} from 'node:http'
import type {Socket} from 'node:net'

export interface ConnectionBudget {
  /** Connections open at once. */
  maxConnections: number
  /** Of those, connections that have not yet sent a request with a valid token. */
  maxUnauthenticatedConnections: number
}

export type ShedReason = 'unauthenticated' | 'total'

interface Connection {
  authenticated: boolean
  /** Requests whose headers have arrived and whose answer has not ended. */
  active: number
  /** Taken out of the count already (shed or refused), before its 'close' event comes. */
  gone: boolean
}

/**
 * Keeps a flood of slow or silent sockets from locking everyone out. Node's own maxConnections
 * refuses the newcomer when the server is full, so 1000 sockets trickling one header byte a
 * second held every legitimate client off. Here, when a budget is full, the connection shed is
 * the oldest one whose request has not arrived (no request in progress: its headers are still
 * incomplete, or it sits idle between requests), and the newcomer stays. Connections that have
 * not yet shown a valid token have a smaller budget of their own, so they can never push out the
 * authenticated ones; among those, an idle keep-alive connection goes only when the whole budget
 * is full and no unauthenticated one is left to shed. Only when every connection has a request
 * in progress is the newcomer refused.
 */
export class ConnectionGuard {
  /** In order of arrival: the first match is the oldest. */
  private readonly connections = new Map<Socket, Connection>()
  private unauthenticated = 0

  constructor(
    server: Server,
    private readonly budget: ConnectionBudget,
    private readonly onShed: (reason: ShedReason, refusedNewcomer: boolean) => void,
  ) {
    server.on('connection', (socket: Socket) => this.arrived(socket))
    server.on('request', (request, response) => {
      const connection = this.connections.get(request.socket)
      if (!connection) return
      connection.active++
      response.once('close', () => connection.active--)
    })
  }

  /** The connection carried a request with a valid token: from now on it counts as authenticated. */
  authenticated(socket: Socket): void {
    const connection = this.connections.get(socket)
    if (!connection || connection.authenticated || connection.gone) return
    connection.authenticated = true
    this.unauthenticated--
  }

  get counts(): {open: number; unauthenticated: number} {
    return {open: this.connections.size, unauthenticated: this.unauthenticated}
  }

  private arrived(socket: Socket): void {
    const connection: Connection = {authenticated: false, active: 0, gone: false}
    this.connections.set(socket, connection)
    this.unauthenticated++
    socket.once('close', () => this.forget(socket, connection))
    if (this.unauthenticated > this.budget.maxUnauthenticatedConnections) {
      this.shedOldest(socket, 'unauthenticated', (candidate) => !candidate.authenticated)
    }
    if (this.connections.size > this.budget.maxConnections) {
      if (!this.shedOldest(socket, 'total', (candidate) => !candidate.authenticated, false)) {
        this.shedOldest(socket, 'total', () => true)
      }
    }
  }

  /**
   * Closes the oldest connection that `eligible` accepts and that has no request in progress;
   * when there is none, closes the newcomer instead (unless `orNewcomer` is false).
   */
  private shedOldest(newcomer: Socket, reason: ShedReason, eligible: (connection: Connection) => boolean, orNewcomer = true): boolean {
    for (const [socket, connection] of this.connections) {
      if (socket === newcomer) break
      if (connection.active === 0 && eligible(connection)) {
        this.drop(socket, connection)
        this.onShed(reason, false)
        return true
      }
    }
    if (!orNewcomer) return false
    const connection = this.connections.get(newcomer)
    if (connection && !connection.gone) {
      this.drop(newcomer, connection)
      this.onShed(reason, true)
    }
    return true
  }

  private drop(socket: Socket, connection: Connection): void {
    this.forget(socket, connection)
    socket.destroy()
  }

  private forget(socket: Socket, connection: Connection): void {
    if (connection.gone) return
    connection.gone = true
    this.connections.delete(socket)
    if (!connection.authenticated) this.unauthenticated--
  }
}
