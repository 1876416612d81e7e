import {createServer} from './app.js'
import {resolveServerLimits} from './limits.js'

/**
 * The OpenAPI document the server serves, made without a data folder: the server composed of
 * parts that hold nothing (no token is valid, no account has a backend), which is all the route
 * table needs. `npm run openapi` writes it to docs/openapi.json.
 */
export async function generateOpenApiDocument(): Promise<unknown> {
  const app = createServer({
    limits: resolveServerLimits({}, undefined),
    accounts: {authenticate: () => undefined},
    backends: {
      forAccount: () => {
        throw new Error('The OpenAPI generator serves no account.')
      },
      acquire: () => () => undefined,
    },
  })
  try {
    await app.ready()
    return app.swagger()
  } finally {
    await app.close()
  }
}
