import type {FastifyInstance, FastifyRequest} from 'fastify'
import {PUBLIC_ROUTES} from '../api/routes.js'
import {UnauthorizedError} from '../errors.js'
import type {Account} from '../sqlite/accounts.js'
import type {AccountBackendSource, AccountStore} from './context.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The account whose token came with the request (set for every route but the public ones). */
    account: Account | null
  }
}

/** The account of a bearer token in an Authorization header; UnauthorizedError when there is none. */
export function authenticate(accounts: AccountStore, header: string | undefined): Account {
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header ?? '')
  if (!match) throw new UnauthorizedError('Missing bearer token: send the header "Authorization: Bearer TOKEN".')
  const account = accounts.authenticate(match[1]!)
  if (!account) throw new UnauthorizedError('The token is not valid: it is unknown or has been revoked.')
  return account
}

/**
 * Every request needs a token but the few public routes. Decided by the route the router
 * matched, never by the raw URL: "/%61pi/whoami" reaches the /api/whoami route too.
 * `onAuthenticated` hears of each socket that has shown a valid token.
 */
export function requireTokens(
  app: FastifyInstance,
  accounts: AccountStore,
  backends: AccountBackendSource,
  onAuthenticated: (request: FastifyRequest) => void,
): void {
  app.decorateRequest('account', null)
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url !== undefined && PUBLIC_ROUTES.has(request.routeOptions.url)) return
    request.account = authenticate(accounts, request.headers.authorization)
    onAuthenticated(request)
    // The account's files stay open until the answer has gone out (or the client went away).
    reply.raw.once('close', backends.acquire(request.account))
  })
}

/** Checks a request's token again: UnauthorizedError once it is revoked (or now names another account). */
export function recheckToken(accounts: AccountStore, request: FastifyRequest): void {
  const account = authenticate(accounts, request.headers.authorization)
  if (account.id !== request.account?.id) throw new UnauthorizedError('The token is not valid: it is unknown or has been revoked.')
}
