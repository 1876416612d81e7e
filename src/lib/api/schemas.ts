// The JSON schemas of every request and answer of the kvcloud API (TypeBox: each schema is plain
// JSON Schema and gives its TypeScript type). Fastify validates requests and serialises answers
// with them, the HTTP client checks answers against them, and the OpenAPI document is made of them.
// Sizes are not capped here: the body limit bounds a request before it is read, and the backend's
// own key and value checks (the one copy of those rules) answer with 413 and the exact limit.
import {Type, type Static, type TSchema} from './typebox.js'

/** One pair: the entry `kv import` reads and `kv export` writes (see entry.ts, its codec). */
export const TransferEntrySchema = Type.Object(
  {key: Type.String(), value: Type.String(), base64: Type.Optional(Type.Boolean())},
  {additionalProperties: false, description: 'One pair: the value as text when it is UTF-8, else base64 with "base64": true.'},
)

const Name = Type.String({minLength: 1})
const Cursor = Type.String({description: 'Opaque; the "next" of the previous page.'})
const Limit = Type.Integer({minimum: 1, maximum: 10_000})
const Next = Type.Optional(Type.String({description: 'The cursor of the next page; absent on the last page.'}))
const Strings = Type.Array(Type.String())

// ---- Parameters and queries ----

export const StoreParams = Type.Object({store: Type.String()})
export const AppParams = Type.Object({app: Type.String()})
/** The kinds of resources a label can be linked to. */
export const ResourceKind = Type.Union([Type.Literal('key-value'), Type.Literal('sqlite')])

export const AppLabelParams = Type.Object({app: Type.String(), label: Type.String()})

/** A link of an app: one per kind and label. */
export const AppLinkParams = Type.Object({app: Type.String(), kind: ResourceKind, label: Type.String()})
/** A key is the rest of the path after `/keys/`, percent-encoded, so any key ("/" included) fits. */
export const KeyParam = Type.Object({'*': Type.String({description: 'The key, percent-encoded.'})})

export const PageQuery = Type.Object({cursor: Type.Optional(Cursor), limit: Type.Optional(Limit)})
export const StoreListQuery = Type.Object({appId: Type.Optional(Name), cursor: Type.Optional(Cursor), limit: Type.Optional(Limit)})
export const KeyListQuery = Type.Object({prefix: Type.Optional(Type.String()), cursor: Type.Optional(Cursor), limit: Type.Optional(Limit)})

// ---- Request bodies ----

const linkFields = {label: Name, appId: Name, appName: Type.Optional(Type.String())}

/**
 * Fermyon: `null`, or a link made together with the store. Written as one object schema with
 * `type: [object, null]` rather than a union, so that a wrong field is named the same way as in
 * every other body.
 */
export const CreateStoreBody = Type.Unsafe<{label: string; appId: string; appName?: string} | null>({
  ...Type.Object(linkFields, {additionalProperties: false}),
  type: ['object', 'null'],
})

/** Fermyon: the new name as a bare JSON string. */
export const RenameBody = Type.String()

/** Fermyon's link body; `replace` is kvcloud's (relink a label that points elsewhere). */
export const StoreLinkBody = Type.Object({...linkFields, replace: Type.Optional(Type.Boolean())}, {additionalProperties: false})

export const AppLinkBody = Type.Object({store: Name, replace: Type.Optional(Type.Boolean()), allowUndeclared: Type.Optional(Type.Boolean())}, {additionalProperties: false})

/** Fermyon's one-pair write: by store name, or by app and label (the route checks which). */
export const KeyValuePairBody = Type.Object(
  {
    storeName: Type.Optional(Name),
    appId: Type.Optional(Name),
    label: Type.Optional(Name),
    key: Type.String(),
    value: Type.String(),
    base64: Type.Optional(Type.Boolean()),
  },
  {additionalProperties: false},
)

export const PairsBody = Type.Object({pairs: Type.Array(TransferEntrySchema)}, {additionalProperties: false})

export const DeleteKeysBody = Type.Object({keys: Strings}, {additionalProperties: false})

export const Component = Type.Object(
  {id: Type.String(), keyValueStores: Strings, sqliteDatabases: Strings},
  {additionalProperties: false},
)

export const DeployBody = Type.Object(
  {
    version: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    components: Type.Array(Component),
    links: Type.Array(Type.Object({label: Name, store: Name, create: Type.Boolean()}, {additionalProperties: false})),
    seed: Type.Optional(Type.Array(TransferEntrySchema)),
  },
  {additionalProperties: false},
)

// ---- Answers ----

export const Health = Type.Object({status: Type.Literal('ok')})

/** Only `account` is required of a server: it is all that login needs to know. */
export const Whoami = Type.Object({
  account: Type.String(),
  serverVersion: Type.Optional(Type.Integer()),
  limits: Type.Optional(Type.Object({
    maxKeyBytes: Type.Integer(),
    maxValueBytes: Type.Integer(),
    maxRequestBytes: Type.Integer(),
    maxImportBytes: Type.Integer(),
  })),
})

/** Fermyon's store shape: apps are known by name here, so `appId` and `appName` are the same. */
export const WireStore = Type.Object({
  name: Type.String(),
  links: Type.Array(Type.Object({label: Type.String(), appId: Type.String(), appName: Type.Optional(Type.String())})),
  createdAt: Type.String(),
})

export const StorePage = Type.Object({keyValueStores: Type.Array(WireStore), next: Next})

export const KeyPage = Type.Object({keys: Strings, next: Next})

export const Deleted = Type.Object({deleted: Type.Integer({minimum: 0})})

export const ImportCount = Type.Object({count: Type.Integer({minimum: 0})})

/** Answers carry a link's kind; servers from before links had one leave it out, and mean key-value. */
const LinkKind = Type.Optional(ResourceKind)

const AppLink = Type.Object({kind: LinkKind, label: Type.String(), store: Type.String()})

export const AppInfo = Type.Object({
  name: Type.String(),
  version: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  revision: Type.Integer(),
  createdAt: Type.String(),
  deployedAt: Type.String(),
  components: Type.Array(Component),
  labels: Strings,
  links: Type.Array(AppLink),
})

export const AppPage = Type.Object({items: Type.Array(AppInfo), next: Next})

export const LinkResult = Type.Object({
  status: Type.Union([Type.Literal('linked'), Type.Literal('already-linked'), Type.Literal('relinked')]),
  app: Type.String(),
  kind: LinkKind,
  label: Type.String(),
  store: Type.String(),
  previousStore: Type.Optional(Type.String()),
})

export const UnlinkResult = Type.Object({app: Type.String(), kind: LinkKind, label: Type.String(), store: Type.String()})

export const DeployResult = Type.Object({
  app: Type.String(),
  revision: Type.Integer(),
  labels: Type.Array(Type.Object({
    label: Type.String(),
    store: Type.String(),
    action: Type.Union([Type.Literal('kept'), Type.Literal('linked'), Type.Literal('created'), Type.Literal('relinked')]),
    previousStore: Type.Optional(Type.String()),
  })),
  unused: Type.Array(AppLink),
})

/** What a failure is, as data (a code and the names it concerns), so the client advises as it would locally. */
export const ErrorFact = Type.Object({code: Type.String()}, {additionalProperties: true})

/**
 * Every error answer: `{detail, fact?, hints?}`, or `{title, errors}` for a request that breaks
 * its schema (errors by field). Other fields pass through, so a newer server's extras still arrive.
 */
export const ErrorBody = Type.Object(
  {
    detail: Type.Optional(Type.String()),
    fact: Type.Optional(ErrorFact),
    hints: Type.Optional(Strings),
    title: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Record(Type.String(), Strings)),
  },
  {additionalProperties: true},
)

export const NoContent = Type.Null({description: 'No content.'})

/** A value as its raw bytes (request and answer). */
export const OctetStream = {content: {'application/octet-stream': {schema: {type: 'string', format: 'binary'}}}} as const

/** Pairs as NDJSON, one TransferEntry per line (request and answer). */
export const NdjsonStream = {
  content: {'application/x-ndjson': {schema: {...TransferEntrySchema, description: 'One such object per line.'}}},
} as const

export type {Static, TSchema}
