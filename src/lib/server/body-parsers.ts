import {isUtf8} from 'node:buffer'
import type {FastifyInstance} from 'fastify'
import {NDJSON} from '../api/ndjson.js'
import {InvalidInputError} from '../errors.js'

/**
 * How request bodies are read: JSON strictly (below), a value as raw bytes, and an import's
 * NDJSON not at all: the route reads that body itself, line by line, within its own limits.
 */
export function useBodyParsers(app: FastifyInstance): void {
  useStrictJsonParser(app)
  app.addContentTypeParser('application/octet-stream', {parseAs: 'buffer'}, (_request, body, done) => done(null, body))
  app.addContentTypeParser(NDJSON, (_request, payload, done) => done(null, payload))
}

/**
 * Fastify's JSON parser decodes the body as UTF-8 and turns every byte that is not UTF-8 into
 * U+FFFD, so "coll\xff" and "coll\xfe" would both be stored as "coll\uFFFD". This one keeps
 * Fastify's parser (and its prototype-poisoning checks) for well-formed bodies and refuses any
 * other with 400, naming the field that holds the bad bytes.
 */
function useStrictJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', {parseAs: 'buffer'}, (request, body, done) => {
    const bytes = body as Buffer
    if (isUtf8(bytes)) {
      parseJson(request, bytes.toString('utf8'), done)
      return
    }
    done(notUtf8(bytes), undefined)
  })
}

const PLACEHOLDER = '\u0000kvcloud: not UTF-8\u0000'

function notUtf8(body: Buffer): InvalidInputError {
  const offset = firstInvalidByte(body)
  const hint = 'Keys and text values must be UTF-8; send a binary value as base64 with "base64": true. Nothing was changed.'
  const where = `byte 0x${body[offset]!.toString(16).padStart(2, '0')} at offset ${offset}`
  const string = enclosingString(body, offset)
  if (string) {
    // Parse the body with that one string swapped for a placeholder, to find which field it was.
    const swapped = Buffer.concat([body.subarray(0, string.start), Buffer.from(JSON.stringify(PLACEHOLDER)), body.subarray(string.end)])
    let parsed: unknown
    try {
      parsed = JSON.parse(swapped.toString('utf8'))
    } catch {
      parsed = undefined
    }
    const path = parsed === undefined ? undefined : pathOf(parsed, PLACEHOLDER)
    if (path) return new InvalidInputError(`${describeField(parsed, path)} is not valid UTF-8 text (${where} of the body).`, [hint])
  }
  return new InvalidInputError(`The request body is not valid UTF-8 text (${where}).`, [hint])
}

/**
 * Where the first sequence that is not UTF-8 begins (or ends, within two bytes: a truncated
 * three-byte sequence decodes to the replacement character's own first bytes).
 */
function firstInvalidByte(body: Buffer): number {
  const reencoded = Buffer.from(body.toString('utf8'), 'utf8')
  let offset = 0
  while (offset < body.length && body[offset] === reencoded[offset]) offset++
  return Math.min(offset, body.length - 1)
}

/** The JSON string literal (quotes included) that holds byte `offset`, if any. */
function enclosingString(body: Buffer, offset: number): {start: number; end: number} | undefined {
  // Bytes of a multi-byte sequence are all 0x80 or more, so they are never a quote or a backslash.
  let start = -1
  for (let i = 0; i < body.length; i++) {
    const byte = body[i]
    if (start === -1) {
      if (byte === 0x22) start = i
      else if (i >= offset) return undefined
    } else if (byte === 0x5c) {
      i++
    } else if (byte === 0x22) {
      if (offset > start && offset < i) return {start, end: i + 1}
      start = -1
    }
  }
  return undefined
}

/** The path of keys and indexes to the first string equal to `wanted`, or of the key that is. */
function pathOf(value: unknown, wanted: string): Array<string | number> | undefined {
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const path = pathOf(value[index], wanted)
      if (path) return [index, ...path]
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key === wanted) return [`(a field name)`]
      const path = pathOf(item, wanted)
      if (path) return [key, ...path]
    }
  } else if (value === wanted) {
    return []
  }
  return undefined
}

/** `pairs[1]'s key`, or `the value of pairs[0] (key "k1")`: a pair is named by index and key. */
function describeField(root: unknown, path: Array<string | number>): string {
  const field = path.at(-1)
  const parentPath = path.slice(0, -1)
  let parent: unknown = root
  for (const step of parentPath) parent = (parent as Record<string | number, unknown>)[step]
  const name = parentPath.length === 0 ? 'the body' : parentPath.map((step) => (typeof step === 'number' ? `[${step}]` : `.${step}`)).join('').replace(/^\./, '')
  const key = (parent as {key?: unknown} | undefined)?.key
  if (field === 'key') return `The key of ${name === 'the body' ? 'the pair' : name}`
  if (field === 'value' && typeof key === 'string') return `The value of ${name === 'the body' ? 'the pair' : name} (key ${JSON.stringify(key)})`
  return `Field "${[...parentPath, field].join('.')}"`
}
