import {Readable} from 'node:stream'
import type {FastifyInstance, FastifyRequest} from 'fastify'
import type {Backend, Pair, StoreTarget} from '../backend.js'
import {toBuffer} from '../bytes.js'
import {formatEntry, type TransferEntry} from '../api/entry.js'
import {NDJSON, maxPairLineBytes, ndjsonLines} from '../api/ndjson.js'
import {KEY_ROUTES, pairRoutes as routes, type RequestOf} from '../api/routes.js'
import {KeyParam, TransferEntrySchema, type TSchema} from '../api/schemas.js'
import {InvalidInputError, KvError, TooLargeError} from '../errors.js'
import type {ServerContext} from './context.js'
import {discardRestOfBody} from './discard-body.js'
import {pairFromEntry} from './entries.js'
import {IMPORT_BATCH_BYTES, IMPORT_BATCH_PAIRS, importMemoryShare, type ServerLimits} from './limits.js'

type TargetParams = {store?: string; app?: string; label?: string; '*'?: string}

/** A pair route under one prefix: its schema completed with the prefix's parameters (and the key's). */
type Request<R> = Omit<RequestOf<R>, 'Params'> & {Params: TargetParams}

export interface PairRoutesOptions extends ServerContext {
  /** The parameters of the prefix the routes are served under (see PAIR_PREFIXES). */
  params: TSchema
}

const EXPORT_CHUNK_PAIRS = 1000

/**
 * kvcloud's extensions for what Fermyon's API lacks, registered twice: under a store
 * (`/api/key-value-stores/{store}`) and under an app's label (`/api/apps/{app}/labels/{label}`).
 * Keys are the rest of the path after `/keys/`, percent-encoded, so any key (`/` included) fits.
 */
export async function pairRoutes(app: FastifyInstance, {backends, imports, limits, recheckToken, params}: PairRoutesOptions): Promise<void> {
  const backendOf = (request: FastifyRequest) => backends.forAccount(request.account!)
  // Each route's schema as the table gives it, with the prefix's parameters (and the key's) added.
  const under = <R extends {url: string; schema: object}>(route: R) => ({
    ...route,
    schema: {
      ...route.schema,
      params: KEY_ROUTES.has(route.url)
        ? {...params, properties: {...params.properties, ...KeyParam.properties}, required: [...(params.required ?? []), ...KeyParam.required]}
        : params,
    },
  })

  app.route<Request<typeof routes.listKeys>>({
    ...under(routes.listKeys),
    handler: async (request) => {
      const page = await backendOf(request).listKeys(targetOf(request.params), request.query)
      return {keys: page.items, ...(page.next ? {next: page.next} : {})}
    },
  })

  app.route<Request<typeof routes.getValue>>({
    ...under(routes.getValue),
    handler: async (request, reply) => {
      const value = await backendOf(request).getValue(targetOf(request.params), request.params['*'] ?? '')
      return reply.type('application/octet-stream').send(toBuffer(value))
    },
  })

  app.route<Omit<Request<typeof routes.putValue>, 'Body'> & {Body: Buffer | string | undefined}>({
    ...under(routes.putValue),
    bodyLimit: limits.maxValueBytes,
    handler: async (request, reply) => {
      const body = request.body ?? Buffer.alloc(0)
      if (typeof body !== 'string' && !Buffer.isBuffer(body)) {
        return reply.code(415).send({detail: 'Send the value as the raw request body with "Content-Type: application/octet-stream".'})
      }
      const value = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
      await backendOf(request).setValues(targetOf(request.params), [{key: request.params['*'] ?? '', value}])
      return reply.code(204).send()
    },
  })

  app.route<Request<typeof routes.deleteKey>>({
    ...under(routes.deleteKey),
    handler: async (request) => ({deleted: await backendOf(request).deleteKeys(targetOf(request.params), [request.params['*'] ?? ''])}),
  })

  app.route<Request<typeof routes.setPairs>>({
    ...under(routes.setPairs),
    handler: async (request, reply) => {
      const pairs = request.body.pairs.map((entry, index) => pairFromEntry(entry, `pairs[${index}]`))
      await backendOf(request).setValues(targetOf(request.params), pairs)
      return reply.code(204).send()
    },
  })

  app.route<Request<typeof routes.deleteKeys>>({
    ...under(routes.deleteKeys),
    handler: async (request) => ({deleted: await backendOf(request).deleteKeys(targetOf(request.params), request.body.keys)}),
  })

  app.route<Request<typeof routes.importPairs>>({...under(routes.importPairs), handler: async (request, reply) => {
    const body = request.body
    if (!(body instanceof Readable)) {
      return reply.code(415).send({detail: `Send the pairs as ${NDJSON}: one {"key","value","base64"?} object per line.`})
    }
    const declared = Number(request.headers['content-length'])
    if (declared > limits.maxImportBytes) {
      discardRestOfBody(body, request.raw.socket)
      throw importTooLarge(limits)
    }
    const account = request.account!
    const backend = backendOf(request)
    const target = targetOf(request.params)
    const validate = request.compileValidationSchema(TransferEntrySchema)
    try {
      // One import per store at a time (by name or by an app's label, it is the same store).
      const storeName = await storeNameOf(backend, target)
      // A body of declared length cannot hold more than itself (decoded, plus what is being read).
      const share = declared > 0 ? Math.min(importMemoryShare(limits), 2 * declared + 64 * 1024) : importMemoryShare(limits)
      const {count} = await imports.run(`${account.id}\0${storeName}`, storeName, share, async () => {
        const token = watchToken(() => recheckToken(request))
        try {
          return await backend.importPairs(target, pairBatches(body, limits, (pair) => validate(pair) ? undefined : ajvMessage(validate.errors), token))
        } finally {
          token.stop()
        }
      })
      return {count}
    } catch (error) {
      discardRestOfBody(body, request.raw.socket)
      throw error
    }
  }})

  app.route<Request<typeof routes.exportPairs>>({
    ...under(routes.exportPairs),
    handler: async (request, reply) => {
      const iterator = backendOf(request).exportPairs(targetOf(request.params))[Symbol.asyncIterator]()
      // The first step runs before any byte is sent, so a missing store is still a clean 404.
      const first = await iterator.next()
      return reply.type(NDJSON).send(Readable.from(exportChunks(first, iterator), {objectMode: false}))
    },
  })
}

/** The name of the store a target reaches (for an app's label, the store it links); the target itself when there is none. */
async function storeNameOf(backend: Backend, target: StoreTarget): Promise<string> {
  if ('store' in target) return target.store
  try {
    const link = (await backend.getApp(target.app)).links.find((candidate) => candidate.label === target.label)
    if (link) return link.store
  } catch {
    // No such app: the import itself says so.
  }
  return `${target.app}/${target.label}`
}

function targetOf(params: TargetParams): StoreTarget {
  return params.store !== undefined ? {store: params.store} : {app: params.app ?? '', label: params.label ?? ''}
}

/** How often a streaming import checks that its token still holds (and once more before it is applied). */
const TOKEN_RECHECK_MS = 250

interface TokenWatch {
  /** Throws once the token no longer holds; checks at most every TOKEN_RECHECK_MS unless `now`. */
  check(now?: boolean): void
  /** `next`, or its rejection as soon as a check on the timer finds the token revoked (a stalled upload included). */
  read<T>(next: Promise<T>): Promise<T>
  stop(): void
}

/**
 * Checks a streaming request's token on a timer and whenever asked, so that a revoke ends the
 * import even while its client sends nothing: a stalled upload must not keep its store locked.
 */
function watchToken(recheck: () => void): TokenWatch {
  let checkedAt = Date.now()
  let failure: unknown
  // The one read waiting now. Not Promise.race with a long-lived "revoked" promise: every race
  // leaves a reaction on it that holds the chunk read, and the whole body stayed in memory.
  let waiting: ((error: unknown) => void) | undefined
  const fail = (error: unknown) => {
    failure = error
    waiting?.(error)
  }
  const read = <T>(next: Promise<T>): Promise<T> => {
    if (failure !== undefined) return Promise.reject(failure)
    return new Promise<T>((resolve, reject) => {
      waiting = reject
      next.then(
        (value) => {
          waiting = undefined
          resolve(value)
        },
        (error: unknown) => {
          waiting = undefined
          reject(error)
        },
      )
    })
  }
  const check = (now = false) => {
    if (!now && Date.now() - checkedAt < TOKEN_RECHECK_MS) return
    checkedAt = Date.now()
    recheck()
  }
  const timer = setInterval(() => {
    try {
      check(true)
    } catch (error) {
      clearInterval(timer)
      fail(error)
    }
  }, TOKEN_RECHECK_MS)
  return {check, read, stop: () => clearInterval(timer)}
}

/**
 * The import's pairs in batches. The token is checked as chunks arrive, on a timer while none
 * do, and once more after the last batch, before the backend applies anything: a revoked
 * token's import ends with 401 and nothing applied.
 */
async function* pairBatches(
  body: Readable,
  limits: ServerLimits,
  check: (pair: unknown) => string | undefined,
  token: TokenWatch,
): AsyncGenerator<Pair[]> {
  // Batches are bounded in bytes, not only in pairs: a thousand pairs of 1 MiB held at once
  // took the server to a gigabyte. importMemoryShare() is what this holds at most.
  let batch: Pair[] = []
  let batchBytes = 0
  for await (const {text, line} of ndjsonLines(counted(body, limits, token), maxPairLineBytes(limits))) {
    let parsed: unknown
    try {
      // JSON.parse, not the codec's regex fast path: a key captured by a regex is a slice of the
      // line, which is a slice of the chunk, so each pending pair would pin its whole chunk, and
      // a long-running server's heap (RSS) would grow with every import.
      parsed = JSON.parse(text)
    } catch (error) {
      throw new InvalidInputError(`Line ${line} of the import is not valid JSON: ${(error as Error).message}`)
    }
    const problem = check(parsed)
    if (problem) throw new InvalidInputError(`Line ${line} of the import: ${problem}. Each line is {"key","value","base64"?}.`)
    let pair: Pair
    try {
      pair = pairFromEntry(parsed as TransferEntry, 'the pair')
    } catch (error) {
      throw new InvalidInputError(`Line ${line} of the import: ${(error as Error).message}`)
    }
    batch.push(pair)
    batchBytes += pair.key.length * 3 + pair.value.byteLength
    if (batch.length >= IMPORT_BATCH_PAIRS || batchBytes >= IMPORT_BATCH_BYTES) {
      yield batch
      batch = []
      batchBytes = 0
    }
  }
  if (batch.length > 0) yield batch
  // The backend applies the import when this generator ends: one last check right before.
  token.check(true)
}

/** The request body's chunks, failing once more than the import limit has arrived or the token is revoked. */
async function* counted(body: Readable, limits: ServerLimits, token: TokenWatch): AsyncGenerator<Buffer> {
  let total = 0
  // Leaving early must not destroy the request: the error answer still has to go out on it
  // (the rest of the body is read away then, see discardRestOfBody).
  const chunks = body.iterator({destroyOnReturn: false})
  for (;;) {
    const next = await token.read(chunks.next())
    if (next.done) return
    const chunk = next.value as Buffer
    token.check()
    total += chunk.length
    if (total > limits.maxImportBytes) throw importTooLarge(limits)
    yield chunk
  }
}

function importTooLarge(limits: ServerLimits): KvError {
  return new TooLargeError(`The import is larger than this server's limit of ${limits.maxImportBytes} bytes.`, [
    'Split the file and import the parts one after another.',
  ])
}

function ajvMessage(errors: Array<{instancePath: string; message?: string; params: Record<string, unknown>}> | null | undefined): string {
  const first = errors?.[0]
  if (!first) return 'not a valid pair'
  if (typeof first.params.missingProperty === 'string') return `"${first.params.missingProperty}" is missing`
  if (typeof first.params.additionalProperty === 'string') return `"${first.params.additionalProperty}" is not allowed`
  const field = first.instancePath.replace(/^\//, '')
  return field ? `"${field}" ${first.message ?? 'is invalid'}` : (first.message ?? 'is invalid')
}

async function* exportChunks(first: IteratorResult<Pair>, iterator: AsyncIterator<Pair>): AsyncGenerator<string> {
  let text = ''
  let count = 0
  for (let step = first; !step.done; step = await iterator.next()) {
    text += formatEntry(step.value) + '\n'
    if (++count % EXPORT_CHUNK_PAIRS === 0 || text.length > 1024 * 1024) {
      yield text
      text = ''
    }
  }
  if (text) yield text
}
