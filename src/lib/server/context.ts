import type {FastifyRequest} from 'fastify'
import type {Backend} from '../backend.js'
import type {Account} from '../sqlite/accounts.js'
import type {ImportGate} from './import-gate.js'
import type {ServerLimits} from './limits.js'

/** Who holds the tokens: the server asks it which account a token belongs to, and nothing else. */
export interface AccountStore {
  /** The account of a live token; undefined for an unknown or revoked one. */
  authenticate(token: string): Account | undefined
}

/** Where each account's data is: the server's routes reach an account's stores only through this. */
export interface AccountBackendSource {
  /** The account's backend (opened on first use). */
  forAccount(account: Account): Backend
  /** A request of the account has begun: its backend stays open until the returned function is called. */
  acquire(account: Account): () => void
}

/** What route plugins need; they hold no state of their own. */
export interface ServerContext {
  limits: ServerLimits
  backends: AccountBackendSource
  imports: ImportGate
  /**
   * Checks the request's token again (UnauthorizedError once it is revoked), for requests that
   * last: an import streaming for minutes must stop when its token is revoked.
   */
  recheckToken(request: FastifyRequest): void
}
