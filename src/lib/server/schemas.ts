// JSON schemas of every request body and query (Fastify validates them with its built-in ajv).
// Sizes are not capped here: the body limit bounds a request before it is read, and the backend's
// own key and value checks (the one copy of those rules) answer with 413 and the exact limit.

const name = {type: 'string', minLength: 1} as const
const cursor = {type: 'string'} as const
const limit = {type: 'integer', minimum: 1, maximum: 10_000} as const

export const wirePairSchema = {
  type: 'object',
  required: ['key', 'value'],
  additionalProperties: false,
  properties: {key: {type: 'string'}, value: {type: 'string'}, base64: {type: 'boolean'}},
} as const

export const storeParams = {type: 'object', required: ['store'], properties: {store: {type: 'string'}}} as const
export const appParams = {type: 'object', required: ['app'], properties: {app: {type: 'string'}}} as const
export const appLabelParams = {
  type: 'object',
  required: ['app', 'label'],
  properties: {app: {type: 'string'}, label: {type: 'string'}},
} as const

export const pageQuery = {type: 'object', properties: {cursor, limit}} as const

export const storeListQuery = {type: 'object', properties: {appId: name, cursor, limit}} as const

export const keyListQuery = {type: 'object', properties: {prefix: {type: 'string'}, cursor, limit}} as const

/** Fermyon: `null`, or a link made together with the store. */
export const createStoreBody = {
  type: ['object', 'null'],
  required: ['label', 'appId'],
  additionalProperties: false,
  properties: {label: name, appId: name, appName: {type: 'string'}},
} as const

/** Fermyon: the new name as a bare JSON string. */
export const renameBody = {type: 'string'} as const

/** Fermyon's link body; `replace` is kvcloud's (relink a label that points elsewhere). */
export const storeLinkBody = {
  type: 'object',
  required: ['label', 'appId'],
  additionalProperties: false,
  properties: {label: name, appId: name, appName: {type: 'string'}, replace: {type: 'boolean'}},
} as const

export const appLinkBody = {
  type: 'object',
  required: ['store'],
  additionalProperties: false,
  properties: {store: name, replace: {type: 'boolean'}, allowUndeclared: {type: 'boolean'}},
} as const

/** Fermyon's one-pair write: by store name, or by app and label (the route checks which). */
export const keyValuePairBody = {
  type: 'object',
  required: ['key', 'value'],
  additionalProperties: false,
  properties: {storeName: name, appId: name, label: name, key: {type: 'string'}, value: {type: 'string'}, base64: {type: 'boolean'}},
} as const

export const pairsBody = {
  type: 'object',
  required: ['pairs'],
  additionalProperties: false,
  properties: {pairs: {type: 'array', items: wirePairSchema}},
} as const

export const deleteKeysBody = {
  type: 'object',
  required: ['keys'],
  additionalProperties: false,
  properties: {keys: {type: 'array', items: {type: 'string'}}},
} as const

const stringList = {type: 'array', items: {type: 'string'}} as const

export const deployBody = {
  type: 'object',
  required: ['components', 'links'],
  additionalProperties: false,
  properties: {
    version: {type: 'string'},
    description: {type: 'string'},
    components: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'keyValueStores', 'sqliteDatabases'],
        additionalProperties: false,
        properties: {id: {type: 'string'}, keyValueStores: stringList, sqliteDatabases: stringList},
      },
    },
    links: {
      type: 'array',
      items: {
        type: 'object',
        required: ['label', 'store', 'create'],
        additionalProperties: false,
        properties: {label: name, store: name, create: {type: 'boolean'}},
      },
    },
    seed: {type: 'array', items: wirePairSchema},
  },
} as const
