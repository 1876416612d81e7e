// The one route table of the kvcloud API: each route's method, path pattern and schemas. The
// server registers its handlers from it, the HTTP client calls and checks answers by it, and the
// OpenAPI document is generated from what the server registered.
import type {Static, TSchema} from './typebox.js'
import type {StoreTarget} from '../backend.js'
import {InvalidInputError} from '../errors.js'
import {
  AppInfo, AppLabelParams, AppLinkBody, AppLinkParams, AppPage, AppParams, CreateStoreBody, Deleted, DeleteKeysBody, DeployBody, DeployResult,
  ErrorBody, Health, ImportCount, KeyListQuery, KeyPage, KeyValuePairBody, LinkResult, NdjsonStream, NoContent,
  OctetStream, PageQuery, PairsBody, RenameBody, StoreLinkBody, StoreListQuery, StoreParams, StorePage, UnlinkResult, WireStore,
  Whoami,
} from './schemas.js'

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

type Part<R, K extends string> = R extends {schema: {[P in K]: infer S extends TSchema}} ? Static<S> : unknown

/** A route's request as its schemas type it (Fastify's route generic: params, query, body). */
export interface RequestOf<R> {
  Params: Part<R, 'params'>
  Querystring: Part<R, 'querystring'>
  Body: Part<R, 'body'>
}

const errors = {'4xx': ErrorBody, '5xx': ErrorBody}

/** Routes answered without a token: only the health check (the OpenAPI document needs one, as every /api route). */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set(['/healthz'])

export const SERVER_VERSION = 1

/** Routes of the server itself: health, identity, and the document of the API. */
export const serverRoutes = {
  health: {method: 'GET', url: '/healthz', schema: {summary: 'Whether the server is up', security: [], response: {200: Health}}},
  whoami: {method: 'GET', url: '/api/whoami', schema: {summary: 'The account the token belongs to, and the server\'s limits', response: {200: Whoami, ...errors}}},
} as const

/** Fermyon Cloud's store routes, kept to its paths and bodies, plus `GET` of one store. */
export const storeRoutes = {
  listStores: {
    method: 'GET', url: '/api/key-value-stores',
    schema: {summary: 'List stores, optionally only those linked to an app', querystring: StoreListQuery, response: {200: StorePage, ...errors}},
  },
  getStore: {method: 'GET', url: '/api/key-value-stores/:store', schema: {summary: 'One store and its links', params: StoreParams, response: {200: WireStore, ...errors}}},
  createStore: {
    method: 'POST', url: '/api/key-value-stores/:store',
    schema: {summary: 'Create a store; with a body, link it in the same call', params: StoreParams, body: CreateStoreBody, response: {201: WireStore, ...errors}},
  },
  deleteStore: {
    method: 'DELETE', url: '/api/key-value-stores/:store',
    schema: {summary: 'Delete a store, its data and its links', params: StoreParams, response: {204: NoContent, ...errors}},
  },
  renameStore: {
    method: 'PATCH', url: '/api/key-value-stores/:store/rename',
    schema: {summary: 'Rename a store (the body is the new name as a JSON string)', params: StoreParams, body: RenameBody, response: {204: NoContent, ...errors}},
  },
  linkStore: {
    method: 'POST', url: '/api/key-value-stores/:store/links',
    schema: {summary: 'Link the store to an app under a label', params: StoreParams, body: StoreLinkBody, response: {200: LinkResult, ...errors}},
  },
  unlinkStore: {
    method: 'DELETE', url: '/api/key-value-stores/:store/links',
    schema: {summary: 'Remove a link of the store', params: StoreParams, body: StoreLinkBody, response: {200: UnlinkResult, ...errors}},
  },
  setPair: {
    method: 'POST', url: '/api/key-value-pairs',
    schema: {summary: 'Set one pair, in a store by name or by app and label', body: KeyValuePairBody, response: {204: NoContent, ...errors}},
  },
} as const

/**
 * kvcloud's extensions for what Fermyon's API lacks, served under each of PAIR_PREFIXES. Keys
 * are the rest of the path after `/keys/`, percent-encoded.
 */
export const pairRoutes = {
  listKeys: {
    method: 'GET', url: '/keys',
    schema: {summary: 'List keys in byte order, optionally by prefix', querystring: KeyListQuery, response: {200: KeyPage, ...errors}},
  },
  getValue: {method: 'GET', url: '/keys/*', schema: {summary: 'A value, as its raw bytes', response: {200: OctetStream, ...errors}}},
  putValue: {
    method: 'PUT', url: '/keys/*',
    schema: {summary: 'Set a value, sent as the raw body (application/octet-stream)', response: {204: NoContent, ...errors}},
  },
  deleteKey: {method: 'DELETE', url: '/keys/*', schema: {summary: 'Delete a key', response: {200: Deleted, ...errors}}},
  setPairs: {
    method: 'POST', url: '/pairs',
    schema: {summary: 'Set pairs, all in one transaction', body: PairsBody, response: {204: NoContent, ...errors}},
  },
  deleteKeys: {
    method: 'POST', url: '/delete-keys',
    schema: {summary: 'Delete keys; says how many existed', body: DeleteKeysBody, response: {200: Deleted, ...errors}},
  },
  importPairs: {
    method: 'POST', url: '/import',
    schema: {summary: 'Import NDJSON pairs (application/x-ndjson), all or nothing', response: {200: ImportCount, ...errors}},
  },
  exportPairs: {method: 'GET', url: '/export', schema: {summary: 'Every pair as NDJSON, in key order', response: {200: NdjsonStream, ...errors}}},
} as const

/** Where pair routes are served: under a store, and under an app's label (the store it links). */
export const PAIR_PREFIXES = [
  {prefix: '/api/key-value-stores/:store', params: StoreParams},
  {prefix: '/api/apps/:app/labels/:label', params: AppLabelParams},
] as const

/** Pair routes whose path ends in a key. */
export const KEY_ROUTES: ReadonlySet<string> = new Set(['/keys/*'])

/** Apps, links by app and label, and the atomic deploy. Apps are known by name (Fermyon's `appId` is the name here). */
export const appRoutes = {
  listApps: {method: 'GET', url: '/api/apps', schema: {summary: 'List apps', querystring: PageQuery, response: {200: AppPage, ...errors}}},
  getApp: {method: 'GET', url: '/api/apps/:app', schema: {summary: 'One app, its components and links', params: AppParams, response: {200: AppInfo, ...errors}}},
  deleteApp: {
    method: 'DELETE', url: '/api/apps/:app',
    schema: {summary: 'Delete an app and its links (never a store)', params: AppParams, response: {204: NoContent, ...errors}},
  },
  linkLabel: {
    method: 'PUT', url: '/api/apps/:app/links/:kind/:label',
    schema: {summary: 'Link a label of the app to a store', params: AppLinkParams, body: AppLinkBody, response: {200: LinkResult, ...errors}},
  },
  unlinkLabel: {
    method: 'DELETE', url: '/api/apps/:app/links/:kind/:label',
    schema: {summary: 'Remove the link of a label', params: AppLinkParams, response: {200: UnlinkResult, ...errors}},
  },
  // The key-value link of a label, on the path every kvcloud server has had (0.1's clients send no
  // allowUndeclared, and link any label there); the client uses it for key-value links, so it
  // works with servers from before links had a kind.
  linkKeyValueLabel: {
    method: 'PUT', url: '/api/apps/:app/links/:label',
    schema: {summary: 'Link a label to a key value store (as /links/key-value/{label}; undeclared labels allowed unless allowUndeclared is false)', params: AppLabelParams, body: AppLinkBody, response: {200: LinkResult, ...errors}},
  },
  unlinkKeyValueLabel: {
    method: 'DELETE', url: '/api/apps/:app/links/:label',
    schema: {summary: 'Remove the key-value link of a label (as /links/key-value/{label})', params: AppLabelParams, response: {200: UnlinkResult, ...errors}},
  },
  deploy: {
    method: 'POST', url: '/api/apps/:app/deploy',
    schema: {summary: 'Deploy: the app, its links and its seed in one atomic change', params: AppParams, body: DeployBody, response: {200: DeployResult, ...errors}},
  },
} as const

export const OPENAPI_PATH = '/api/openapi.json'

// ---- Paths, for the client ----

/** A name or key as one URL path segment: every reserved character, "/" and "%" included, is escaped. */
export function pathSegment(text: string): string {
  try {
    return encodeURIComponent(text)
  } catch {
    throw new InvalidInputError(`${JSON.stringify(text)} is not valid UTF-8 text.`)
  }
}

/** A route's pattern with its parameters (`:name`, and `*` for a key) filled in, each as one path segment. */
export function fillPath(pattern: string, values: Record<string, string>): string {
  return pattern.replace(/:([A-Za-z]+)|\*/g, (_match, name: string | undefined) => pathSegment(values[name ?? '*'] ?? ''))
}

/** The path under which a target's pairs live (one of PAIR_PREFIXES, filled in). */
export function targetPath(target: StoreTarget): string {
  return 'store' in target ? fillPath(PAIR_PREFIXES[0].prefix, target) : fillPath(PAIR_PREFIXES[1].prefix, target)
}
