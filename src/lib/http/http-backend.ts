import {Readable} from 'node:stream'
import {setImmediate} from 'node:timers/promises'
import {EnvHttpProxyAgent, Pool, interceptors, type Dispatcher} from 'undici'
import {fits, firstMisfit} from '../api/check.js'
import {entryValue, parseEntryText, toEntry} from '../api/entry.js'
import {NDJSON, ndjsonLines, pairLines} from '../api/ndjson.js'
import {OPENAPI_PATH, appRoutes, fillPath, pairRoutes, serverRoutes, storeRoutes, targetPath} from '../api/routes.js'
import {TransferEntrySchema, type Static, type TSchema, type WireStore} from '../api/schemas.js'
import type {
  ResourceKind, AppInfo, Backend, BackendDescription, DeployRequest, DeployResult, ImportOptions, ImportResult, KeyListOptions, LinkRequest,
  LinkResult, Limits, Page, PageOptions, Pair, StoreInfo, StoreListOptions, StoreTarget, UnlinkResult,
} from '../backend.js'
import {InvalidInputError, KvError, NotFoundError, UnauthorizedError, UnavailableError, kindForHttpStatus, makeError, type ErrorFact} from '../errors.js'
import {validateKey, validateValue} from '../validation.js'
import {isProxyConnectFailure, proxyFromEnv, shownProxy, type ProxyUse} from './proxy.js'
import {commandLine} from '../cli-name.js'

export interface HttpBackendOptions {
  /** The server's base URL, e.g. http://127.0.0.1:3000 (a path prefix is kept). */
  url: string
  token: string
  /** The user's key and value limits, checked before anything is sent. */
  limits: Limits
  /** Retries of GET, HEAD and PUT after a dropped connection or a 502/503/504/429 (never POST, PATCH or DELETE). */
  retries?: {maxRetries?: number; minTimeoutMs?: number}
  connectTimeoutMs?: number
  /** How long to wait for an answer to an ordinary request. */
  requestTimeoutMs?: number
  /** Where HTTP_PROXY, HTTPS_PROXY and NO_PROXY are read (process.env by default). */
  env?: NodeJS.ProcessEnv
}

/** A route of the table: its method, pattern, and the schema of each answer. */
interface Route {
  method: Dispatcher.HttpMethod
  url: string
  schema: {response: Record<string, unknown>}
}

/** The schema of a route's successful answer (200 or 201). */
type Answer<R extends Route> = R['schema']['response'] extends {200: infer S extends TSchema} ? Static<S>
  : R['schema']['response'] extends {201: infer S extends TSchema} ? Static<S> : never

interface CallOptions {
  query?: Record<string, string | number | undefined>
  json?: unknown
  body?: Dispatcher.DispatchOptions['body']
  contentType?: string
  /** Overrides the answer timeout (imports commit only once the whole body is in). */
  timeoutMs?: number
}

const IMPORT_TIMEOUT_MS = 10 * 60_000
/** A server may allow larger values than this client's limits: only a sanity bound on one exported line. */
const EXPORT_MAX_LINE_BYTES = 256 * 1024 * 1024

/**
 * The Backend interface over HTTP to a kvcloud server. One keep-alive connection pool (through the
 * proxy that HTTP_PROXY or HTTPS_PROXY names, unless NO_PROXY lists the server); requests
 * idempotent in effect (GET, HEAD, PUT) are retried with backoff after a dropped connection or an
 * overloaded server, others (POST, PATCH, DELETE) never; every failure becomes the same typed error the local backend would raise.
 */
export class HttpBackend implements Backend {
  readonly kind = 'remote' as const
  /** The server's URL as the user should see it. */
  readonly url: string
  private readonly basePath: string
  /** The pool or proxy agent this backend made, closed with it. */
  private readonly owned: Pool | EnvHttpProxyAgent
  private readonly dispatcher: Dispatcher
  /** Given with each request through the proxy agent; the pool knows its origin. */
  private readonly requestOrigin?: string
  /** The proxy the environment names for this server's protocol (NO_PROXY may still bypass it). */
  private readonly proxy?: ProxyUse
  private readonly requestTimeoutMs: number
  private account?: string

  private constructor(private readonly options: HttpBackendOptions) {
    let parsed: URL
    try {
      parsed = new URL(options.url)
    } catch {
      throw new InvalidInputError(`"${options.url}" is not a URL. Give the server's address, e.g. http://127.0.0.1:3000.`)
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new InvalidInputError(`"${options.url}" is not an http or https URL. Give the server's address, e.g. http://127.0.0.1:3000.`)
    }
    this.basePath = parsed.pathname.replace(/\/+$/, '')
    this.url = parsed.origin + this.basePath
    // A header cannot carry a space, a line break or a non-ASCII character; without this check
    // such a token fails as "cannot reach the server". The message never repeats the token.
    if (!/^[\x21-\x7e]+$/.test(options.token)) {
      throw new UnauthorizedError(`The token for ${this.url} is malformed: it has a space, a line break or a character no token has.`, [
        `Check KVCLOUD_TOKEN, or run "${commandLine(`login --url ${this.url} --token TOKEN`)}" again with the token exactly as "${commandLine('server token create')}" printed it.`,
      ])
    }
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000
    const poolOptions = {
      connections: 16,
      keepAliveTimeout: 10_000,
      connect: {timeout: options.connectTimeoutMs ?? 5_000},
      headersTimeout: this.requestTimeoutMs,
      bodyTimeout: this.requestTimeoutMs,
    }
    const proxied = proxyFromEnv(options.env ?? process.env, parsed.protocol)
    if (proxied) {
      this.proxy = proxied.proxy
      // The checked values are given explicitly, so undici reads nothing from the environment itself.
      const https = parsed.protocol === 'https:'
      this.owned = new EnvHttpProxyAgent({
        ...poolOptions,
        httpProxy: https ? '' : proxied.proxy.url.href,
        httpsProxy: https ? proxied.proxy.url.href : '',
        noProxy: proxied.noProxy,
      })
      this.requestOrigin = parsed.origin
    } else {
      this.owned = new Pool(parsed.origin, poolOptions)
    }
    this.dispatcher = this.owned.compose(interceptors.retry({
      maxRetries: options.retries?.maxRetries ?? 2,
      minTimeout: options.retries?.minTimeoutMs ?? 150,
      timeoutFactor: 3,
      maxTimeout: 2_000,
      // Only what is idempotent in effect, answer included. A DELETE is not: when the
      // connection drops after the server deleted, the retry answers 404 for a delete that
      // happened (and DELETE of a key counts what it removed). Those fail as "connection closed".
      methods: ['GET', 'HEAD', 'PUT'],
      statusCodes: [502, 503, 504, 429],
      // Hand the last answer over rather than a generic retry error: its body says what went wrong.
      throwOnError: false,
    }))
  }

  static async connect(options: HttpBackendOptions): Promise<HttpBackend> {
    return new HttpBackend(options)
  }

  /** The account the token belongs to; also proves the server is a kvcloud server and takes the token. */
  async whoami(): Promise<{account: string; limits?: Record<string, number>}> {
    let answer: Static<typeof serverRoutes.whoami.schema.response[200]>
    try {
      answer = await this.json(serverRoutes.whoami, serverRoutes.whoami.url)
    } catch (error) {
      if (error instanceof NotFoundError) {
        throw new UnavailableError(`${this.url} does not look like a kvcloud server: it has no /api/whoami.`, [
          `Check the URL; a kvcloud server is started with "${commandLine('server start')}".`,
        ])
      }
      throw error
    }
    this.account = answer.account
    return answer
  }

  async describe(): Promise<BackendDescription> {
    const account = this.account ?? (await this.whoami()).account
    return {kind: 'remote', url: this.url, account}
  }

  // ---- Stores ----

  async listStores(options: StoreListOptions = {}): Promise<Page<StoreInfo>> {
    const page = await this.json(storeRoutes.listStores, storeRoutes.listStores.url, {
      query: {appId: options.app, cursor: options.cursor, limit: options.limit},
    })
    return {items: page.keyValueStores.map(fromWireStore), next: page.next}
  }

  async getStore(name: string): Promise<StoreInfo> {
    return fromWireStore(await this.json(storeRoutes.getStore, fillPath(storeRoutes.getStore.url, {store: name})))
  }

  async createStore(name: string): Promise<StoreInfo> {
    return fromWireStore(await this.json(storeRoutes.createStore, fillPath(storeRoutes.createStore.url, {store: name}), {json: null}))
  }

  async deleteStore(name: string): Promise<void> {
    await this.empty(storeRoutes.deleteStore, fillPath(storeRoutes.deleteStore.url, {store: name}))
  }

  async renameStore(name: string, newName: string): Promise<void> {
    await this.empty(storeRoutes.renameStore, fillPath(storeRoutes.renameStore.url, {store: name}), {json: newName})
  }

  // ---- Pairs ----

  async getValue(target: StoreTarget, key: string): Promise<Uint8Array> {
    validateKey(key, this.options.limits)
    const response = await this.call(pairRoutes.getValue.method, targetPath(target) + fillPath(pairRoutes.getValue.url, {'*': key}))
    return new Uint8Array(await response.body.arrayBuffer())
  }

  async setValues(target: StoreTarget, pairs: Pair[]): Promise<void> {
    for (const pair of pairs) this.checkPair(pair)
    await this.empty(pairRoutes.setPairs, targetPath(target) + pairRoutes.setPairs.url, {json: {pairs: pairs.map(toEntry)}})
  }

  async deleteKeys(target: StoreTarget, keys: string[]): Promise<number> {
    for (const key of keys) validateKey(key, this.options.limits)
    return (await this.json(pairRoutes.deleteKeys, targetPath(target) + pairRoutes.deleteKeys.url, {json: {keys}})).deleted
  }

  async listKeys(target: StoreTarget, options: KeyListOptions = {}): Promise<Page<string>> {
    const page = await this.json(pairRoutes.listKeys, targetPath(target) + pairRoutes.listKeys.url, {
      query: {prefix: options.prefix, cursor: options.cursor, limit: options.limit},
    })
    return {items: page.keys, next: page.next}
  }

  /** One streamed NDJSON request however many pairs: the server stages them and commits all or nothing. */
  async importPairs(target: StoreTarget, batches: AsyncIterable<Pair[]>, options: ImportOptions = {}): Promise<ImportResult> {
    const checkPair = (pair: Pair) => this.checkPair(pair)
    async function* body(): AsyncGenerator<Buffer> {
      let sent = 0
      for await (const batch of batches) {
        batch.forEach(checkPair)
        yield Buffer.from(pairLines(batch), 'utf8')
        sent += batch.length
        options.onProgress?.(sent)
        // Pairs made in memory never wait on I/O: let the socket be read between batches, or a
        // 413 or 400 the server sends early goes unseen until it resets the connection.
        await setImmediate()
      }
    }
    const {count} = await this.json(pairRoutes.importPairs, targetPath(target) + pairRoutes.importPairs.url, {
      body: Readable.from(body()), contentType: NDJSON, timeoutMs: IMPORT_TIMEOUT_MS,
    })
    return {count}
  }

  async *exportPairs(target: StoreTarget): AsyncIterable<Pair> {
    const response = await this.call(pairRoutes.exportPairs.method, targetPath(target) + pairRoutes.exportPairs.url)
    const damaged = (line: number, why: string) =>
      new UnavailableError(`The kvcloud server at ${this.url} sent a damaged export (line ${line} ${why}).`, ['Try the export again.'])
    try {
      for await (const {text, line} of ndjsonLines(response.body, EXPORT_MAX_LINE_BYTES)) {
        let entry: unknown
        try {
          entry = parseEntryText(text)
        } catch {
          throw damaged(line, 'is not JSON')
        }
        if (!fits(TransferEntrySchema, entry)) throw damaged(line, `is not a pair: ${firstMisfit(TransferEntrySchema, entry)}`)
        const value = entryValue(entry)
        if (typeof value === 'string') throw damaged(line, value === 'not-base64' ? 'has a value that is not valid base64' : 'has a value that is not UTF-8 text')
        yield {key: entry.key, value}
      }
    } catch (error) {
      throw error instanceof KvError ? error : this.networkError(error)
    } finally {
      if (!response.body.destroyed) response.body.destroy()
    }
  }

  // ---- Apps and links ----

  async listApps(options: PageOptions = {}): Promise<Page<AppInfo>> {
    const page = await this.json(appRoutes.listApps, appRoutes.listApps.url, {query: {cursor: options.cursor, limit: options.limit}})
    return {items: page.items.map(withLinkKinds), next: page.next}
  }

  async getApp(name: string): Promise<AppInfo> {
    return withLinkKinds(await this.json(appRoutes.getApp, fillPath(appRoutes.getApp.url, {app: name})))
  }

  async deleteApp(name: string): Promise<void> {
    await this.empty(appRoutes.deleteApp, fillPath(appRoutes.deleteApp.url, {app: name}))
  }

  async linkStore(request: LinkRequest): Promise<LinkResult> {
    const kind = request.kind ?? 'key-value'
    // A key-value link on the path every kvcloud server has had, so an older server serves it too.
    const route = kind === 'key-value' ? appRoutes.linkKeyValueLabel : appRoutes.linkLabel
    const result = await this.json(route, fillPath(route.url, {app: request.app, kind, label: request.label}), {
      json: {store: request.store, ...(request.replace ? {replace: true} : {}), allowUndeclared: request.allowUndeclared ?? false},
    })
    return {...result, kind: result.kind ?? kind}
  }

  async unlinkStore(app: string, label: string, kind: ResourceKind = 'key-value'): Promise<UnlinkResult> {
    const route = kind === 'key-value' ? appRoutes.unlinkKeyValueLabel : appRoutes.unlinkLabel
    const result = await this.json(route, fillPath(route.url, {app, kind, label}))
    return {...result, kind: result.kind ?? kind}
  }

  async deploy(request: DeployRequest): Promise<DeployResult> {
    for (const pair of request.seed ?? []) this.checkPair(pair)
    const {name, ...app} = request.app
    const result = await this.json(appRoutes.deploy, fillPath(appRoutes.deploy.url, {app: name}), {
      json: {...app, links: request.links, ...(request.seed ? {seed: request.seed.map(toEntry)} : {})},
    })
    return {...result, unused: withLinkKinds({links: result.unused}).links}
  }

  async close(): Promise<void> {
    await this.owned.close()
  }

  // ---- HTTP ----

  private checkPair(pair: Pair): void {
    validateKey(pair.key, this.options.limits)
    validateValue(pair.key, pair.value, this.options.limits)
  }

  /** Calls a route of the table and checks its answer against the route's schema (never a bare cast). */
  private async json<R extends Route>(route: R, path: string, options: CallOptions = {}): Promise<Answer<R>> {
    const response = await this.call(route.method, path, options)
    let answer: unknown
    try {
      answer = await response.body.json()
    } catch (error) {
      throw this.networkError(error)
    }
    const schema = (route.schema.response[response.statusCode] ?? route.schema.response[200] ?? route.schema.response[201]) as TSchema
    const misfit = firstMisfit(schema, answer)
    if (misfit !== undefined) {
      throw new UnavailableError(`The kvcloud server at ${this.url} sent an answer to ${route.method} ${route.url} that kvcloud does not understand (${misfit}).`, [
        `The server may run another version of kvcloud: both ends must speak the same API (the server describes its own at ${OPENAPI_PATH}).`,
      ])
    }
    return answer as Answer<R>
  }

  private async empty(route: Route, path: string, options: CallOptions = {}): Promise<void> {
    const response = await this.call(route.method, path, options)
    await response.body.dump()
  }

  /** Sends a request; an answer of 400 or more becomes the matching typed error. */
  private async call(method: Dispatcher.HttpMethod, path: string, options: CallOptions = {}): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = {authorization: `Bearer ${this.options.token}`}
    let body = options.body
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(options.json)
    } else if (options.contentType) {
      headers['content-type'] = options.contentType
    }
    let response: Dispatcher.ResponseData
    try {
      response = await this.dispatcher.request({
        origin: this.requestOrigin,
        method,
        path: this.basePath + path + queryString(options.query),
        headers,
        body,
        ...(options.timeoutMs ? {headersTimeout: options.timeoutMs} : {}),
      })
    } catch (error) {
      throw this.networkError(error)
    }
    if (response.statusCode >= 400) throw await this.errorFrom(response)
    return response
  }

  private async errorFrom(response: Dispatcher.ResponseData): Promise<KvError> {
    const status = response.statusCode
    let detail = `HTTP ${status}`
    let hints: string[] = []
    let fact: ErrorFact | undefined
    try {
      const text = await response.body.text()
      const body = JSON.parse(text) as {detail?: unknown; fact?: unknown; hints?: unknown; title?: unknown; errors?: unknown; message?: unknown}
      if (typeof body.detail === 'string') detail = body.detail
      else if (typeof body.title === 'string') detail = validationMessage(body.title, body.errors)
      // Fastify's own error shape, e.g. {"error":"Service Unavailable","message":"Service Unavailable"}.
      else if (typeof body.message === 'string') detail = `HTTP ${status} ${body.message}`
      if (Array.isArray(body.hints)) hints = body.hints.filter((hint): hint is string => typeof hint === 'string')
      const candidate = body.fact as {code?: unknown} | null | undefined
      if (typeof candidate === 'object' && candidate !== null && typeof candidate.code === 'string') fact = candidate as ErrorFact
    } catch {
      // Not one of our JSON error bodies (a proxy's page, say): the status is all there is.
    }
    if (status === 401 || status === 403) {
      return new UnauthorizedError(`The kvcloud server at ${this.url} refused the token: ${detail}`, [
        `Run "${commandLine(`login --url ${this.url} --token TOKEN`)}" with a valid token (or set KVCLOUD_TOKEN); the server's operator creates one with "${commandLine('server token create --account NAME')}".`,
      ])
    }
    if (status >= 500) {
      return new UnavailableError(`The kvcloud server at ${this.url} could not handle the request: ${detail}`, [
        'Try again in a moment; if it keeps failing, ask the server\'s operator to look at its log.',
      ])
    }
    const error = makeError(kindForHttpStatus(status), detail, hints)
    error.fact = fact
    return error
  }

  private networkError(error: unknown): KvError {
    if (error instanceof KvError) return error
    const proxyFailure = this.proxyFailure(error)
    if (proxyFailure) return proxyFailure
    const code = (error as {code?: string}).code ?? ''
    const reason =
      code === 'ECONNREFUSED' ? 'the connection was refused'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'the host name was not found'
          : code === 'UND_ERR_CONNECT_TIMEOUT' ? 'no connection could be made in time'
            : code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' ? 'it did not answer in time'
              : code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED' ? 'the connection was closed before the answer came'
                : (error as Error).message
    return new UnavailableError(`Cannot reach the kvcloud server at ${this.url}: ${reason}.`, [
      `Check that the server is running ("${commandLine('server start')}") and that the URL is right ("${commandLine('login --url URL --token TOKEN')}" changes it), or pass --local to use the local backend.`,
    ])
  }

  /** The failure as the proxy's, when it happened on the way to the proxy or the proxy refused the tunnel. */
  private proxyFailure(error: unknown): KvError | undefined {
    if (!this.proxy) return undefined
    const failure = error as {code?: string; message?: string}
    // undici's answer when the proxy does not open the tunnel (CONNECT) to the server.
    const status = /^Proxy response \((\d+)\)/.exec(failure.message ?? '')?.[1]
    let reason: string
    if (status === '407') reason = 'the proxy asks for credentials (407 Proxy Authentication Required)'
    else if (status) reason = `the proxy answered ${status} when asked to connect to the server: it could not reach it, or does not let it through`
    else if (isProxyConnectFailure(failure, this.proxy.url)) {
      reason = failure.code === 'ECONNREFUSED' ? 'the proxy refused the connection'
        : failure.code === 'ENOTFOUND' || failure.code === 'EAI_AGAIN' ? 'the proxy\'s host name was not found'
          : failure.code === 'UND_ERR_CONNECT_TIMEOUT' ? 'no connection to the proxy could be made in time'
            : `the connection to the proxy failed (${failure.code ?? failure.message})`
    } else {
      return undefined
    }
    const {variable} = this.proxy
    return new UnavailableError(`Cannot reach the kvcloud server at ${this.url} through the proxy ${shownProxy(this.proxy.url)} (from ${variable}): ${reason}.`, [
      status === '407'
        ? `Give the proxy's credentials in ${variable} (http://USER:PASSWORD@HOST:PORT).`
        : `Check ${variable}, or list the server's host in NO_PROXY (e.g. NO_PROXY=${new URL(this.url).hostname}) to reach it directly.`,
    ])
  }
}

function fromWireStore(store: Static<typeof WireStore>): StoreInfo {
  return {name: store.name, links: store.links.map((l) => ({app: l.appName ?? l.appId, label: l.label})), createdAt: store.createdAt}
}

function queryString(query: CallOptions['query']): string {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value))
  const text = params.toString()
  return text ? `?${text}` : ''
}

function validationMessage(title: string, errors: unknown): string {
  if (!errors || typeof errors !== 'object') return title
  const parts = Object.entries(errors as Record<string, unknown>).map(([field, messages]) =>
    `${field} ${Array.isArray(messages) ? messages.join(', ') : String(messages)}`)
  return parts.length > 0 ? `${title} ${parts.join('; ')}` : title
}

/** An app as the Backend interface has it: a server from before links had a kind sends none, and means key-value. */
function withLinkKinds<A extends {links: Array<{kind?: ResourceKind; label: string; store: string}>}>(app: A): A & {links: AppInfo['links']} {
  return {...app, links: app.links.map((link) => ({...link, kind: link.kind ?? 'key-value'}))}
}
