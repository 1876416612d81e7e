import type {FastifyInstance} from 'fastify'

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface Route {
  method: Method
  /** The route's pattern as registered, e.g. /api/key-value-stores/:store/keys/* */
  url: string
}

/**
 * Every route the Fastify instance serves, read from the instance itself (printRoutes), each
 * one proved by `hasRoute`, so a route added later is enumerated without anyone listing it.
 */
export async function enumerateRoutes(app: FastifyInstance): Promise<Route[]> {
  await app.ready()
  const tree = app.printRoutes({commonPrefix: false})
  const routes: Route[] = []
  // Where two routes share a parameter's place under different names, printRoutes prints them as
  // one segment, ":kind|:label": each name is a candidate, and hasRoute says which one a route has.
  const parents: string[][] = []
  for (const line of tree.split('\n')) {
    if (!line.trim()) continue
    const match = /^([│├└─ ]*)(\S+) \(([A-Z, ]+)\)$/.exec(line)
    if (!match) throw new Error(`Cannot read this line of printRoutes: ${JSON.stringify(line)}`)
    const depth = match[1]!.length / 4 - 1
    const printed = match[2]!.startsWith('/') ? match[2]! : '/' + match[2]!
    const lastSlash = printed.lastIndexOf('/')
    const segments = printed.slice(lastSlash + 1).split('|').map((name) => printed.slice(0, lastSlash + 1) + name)
    const candidates = (parents[depth - 1] ?? ['']).flatMap((parent) => segments.map((segment) => parent + segment))
    parents[depth] = candidates
    parents.length = depth + 1
    for (const method of match[3]!.split(', ') as Method[]) {
      const url = candidates.find((candidate) => app.hasRoute({method, url: candidate}) && BODIES[`${method === 'HEAD' ? 'GET' : method} ${candidate}`] !== undefined)
        ?? candidates.find((candidate) => app.hasRoute({method, url: candidate}))
      if (!url) throw new Error(`printRoutes lists ${method} ${candidates.join(' or ')}, but the instance has no such route`)
      routes.push({method, url})
    }
  }
  return routes
}

export interface RouteRequest {
  path: string
  json?: unknown
  body?: string | Buffer
  contentType?: string
}

/** Names used to fill a route's parameters. */
export interface RouteNames {
  store: string
  app: string
  label: string
  key: string
}

const DEPLOY = (store: string) => ({
  components: [{id: 'web', keyValueStores: ['default'], sqliteDatabases: []}],
  links: [{label: 'default', store, create: false}],
})

/**
 * A well-formed request for each route, by "METHOD pattern". A route missing here fails every
 * test that walks the routes, so whoever adds a route also says how to call it.
 */
const BODIES: Record<string, (names: RouteNames) => Omit<RouteRequest, 'path'>> = {
  'GET /healthz': () => ({}),
  'GET /api/whoami': () => ({}),
  'GET /api/openapi.json': () => ({}),
  'GET /api/key-value-stores': () => ({}),
  'GET /api/key-value-stores/:store': () => ({}),
  'POST /api/key-value-stores/:store': () => ({json: null}),
  'DELETE /api/key-value-stores/:store': () => ({}),
  'PATCH /api/key-value-stores/:store/rename': () => ({json: 'renamed-store'}),
  'POST /api/key-value-stores/:store/links': (n) => ({json: {label: n.label, appId: n.app}}),
  'DELETE /api/key-value-stores/:store/links': (n) => ({json: {label: n.label, appId: n.app}}),
  'GET /api/key-value-stores/:store/keys': () => ({}),
  'GET /api/key-value-stores/:store/keys/*': () => ({}),
  'PUT /api/key-value-stores/:store/keys/*': () => ({body: 'value', contentType: 'application/octet-stream'}),
  'DELETE /api/key-value-stores/:store/keys/*': () => ({}),
  'POST /api/key-value-stores/:store/pairs': (n) => ({json: {pairs: [{key: n.key, value: 'v'}]}}),
  'POST /api/key-value-stores/:store/delete-keys': (n) => ({json: {keys: [n.key]}}),
  'POST /api/key-value-stores/:store/import': (n) => ({body: JSON.stringify({key: n.key, value: 'v'}) + '\n', contentType: 'application/x-ndjson'}),
  'GET /api/key-value-stores/:store/export': () => ({}),
  'POST /api/key-value-pairs': (n) => ({json: {storeName: n.store, key: n.key, value: 'v'}}),
  'GET /api/apps': () => ({}),
  'GET /api/apps/:app': () => ({}),
  'DELETE /api/apps/:app': () => ({}),
  'GET /api/apps/:app/labels/:label/keys': () => ({}),
  'GET /api/apps/:app/labels/:label/keys/*': () => ({}),
  'PUT /api/apps/:app/labels/:label/keys/*': () => ({body: 'value', contentType: 'application/octet-stream'}),
  'DELETE /api/apps/:app/labels/:label/keys/*': () => ({}),
  'POST /api/apps/:app/labels/:label/pairs': (n) => ({json: {pairs: [{key: n.key, value: 'v'}]}}),
  'POST /api/apps/:app/labels/:label/delete-keys': (n) => ({json: {keys: [n.key]}}),
  'POST /api/apps/:app/labels/:label/import': (n) => ({body: JSON.stringify({key: n.key, value: 'v'}) + '\n', contentType: 'application/x-ndjson'}),
  'GET /api/apps/:app/labels/:label/export': () => ({}),
  'PUT /api/apps/:app/links/:kind/:label': (n) => ({json: {store: n.store}}),
  'DELETE /api/apps/:app/links/:kind/:label': () => ({}),
  'PUT /api/apps/:app/links/:label': (n) => ({json: {store: n.store}}),
  'DELETE /api/apps/:app/links/:label': () => ({}),
  'POST /api/apps/:app/deploy': (n) => ({json: DEPLOY(n.store)}),
}

/** A concrete, well-formed request for the route (HEAD as its GET, without a body). */
export function requestFor(route: Route, names: RouteNames): RouteRequest {
  const method = route.method === 'HEAD' ? 'GET' : route.method
  const make = BODIES[`${method} ${route.url}`]
  if (!make) throw new Error(`No request is known for ${method} ${route.url}: add it to BODIES in test/security/routes.ts`)
  const path = route.url
    .replace(':store', encodeURIComponent(names.store))
    .replace(':app', encodeURIComponent(names.app))
    .replace(':kind', 'key-value')
    .replace(':label', encodeURIComponent(names.label))
    .replace('*', encodeURIComponent(names.key))
  return {path, ...make(names)}
}
