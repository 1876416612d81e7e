import {isUtf8} from 'node:buffer'
import type {Limits, Pair} from '../backend.js'
import {toBuffer} from '../bytes.js'
import {InvalidInputError, KvError, makeError} from '../errors.js'
import {validateKey, validateValue} from '../validation.js'

// One pair as `kv import` reads it and `kv export` writes it: the object wrangler's bulk put
// uses. A value that is valid UTF-8 travels as text; any other value as base64 with
// "base64": true, so every store survives an export and an import byte for byte.

export interface TransferEntry {
  key: string
  value: string
  base64?: boolean
}

export const ENTRY_SHAPE_HINT =
  'Each entry is {"key": "...", "value": "..."}, with "base64": true when the value is base64-encoded bytes.'

/** The entry for a pair: text when the bytes are UTF-8, else base64. */
export function toEntry(pair: Pair): TransferEntry {
  const bytes = toBuffer(pair.value)
  return isUtf8(bytes) ? {key: pair.key, value: bytes.toString('utf8')} : {key: pair.key, value: bytes.toString('base64'), base64: true}
}

/** One entry as a single line of JSON (no newline). */
export function formatEntry(pair: Pair): string {
  return JSON.stringify(toEntry(pair))
}

// Standard alphabet, padded: what Buffer#toString('base64') writes. Buffer.from(..., 'base64')
// silently skips anything else, which would turn a damaged file into wrong bytes.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

export function isBase64(text: string): boolean {
  return BASE64.test(text)
}

// The exact line `kv export` writes for a value with nothing to escape. Matching it is a third of
// the cost of JSON.parse, and a match means precisely what JSON.parse would return: a JSON string
// may hold any character but '"', '\\' and U+0000..U+001F, and those are what the classes exclude.
// Anything else (escapes, spaces, other field orders) goes through JSON.parse.
// eslint-disable-next-line no-control-regex
const CANONICAL_LINE = /^\{"key":"([^"\\\u0000-\u001f]*)","value":"([^"\\\u0000-\u001f]*)"(,"base64":true)?\}$/

/** Parses one line of NDJSON (or one entry's text) into the object JSON.parse would give. */
export function parseEntryText(text: string): unknown {
  const match = CANONICAL_LINE.exec(text)
  if (match) return match[3] ? {key: match[1], value: match[2], base64: true} : {key: match[1], value: match[2]}
  return JSON.parse(text)
}

/** A problem with one entry; `where` is prefixed by the reader (line or index). */
export class EntryError extends Error {}

/**
 * Checks one parsed entry and turns it into a pair. Throws EntryError for a malformed entry,
 * or the KvError of validateKey/validateValue when limits are given and exceeded.
 */
export function parseEntry(entry: unknown, limits?: Limits): Pair {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new EntryError(`expected an object, got ${describeJson(entry)}`)
  }
  const {key, value, base64} = entry as Record<string, unknown>
  if (key === undefined) throw new EntryError('missing "key"')
  if (typeof key !== 'string') throw new EntryError(`"key" must be a string, got ${describeJson(key)}`)
  if (value === undefined) throw new EntryError(`missing "value" for key ${JSON.stringify(key)}`)
  if (typeof value !== 'string') throw new EntryError(`"value" of key ${JSON.stringify(key)} must be a string, got ${describeJson(value)}`)
  if (base64 !== undefined && typeof base64 !== 'boolean') {
    throw new EntryError(`"base64" of key ${JSON.stringify(key)} must be true or false, got ${describeJson(base64)}`)
  }
  let bytes: Buffer
  if (base64 === true) {
    if (!isBase64(value)) throw new EntryError(`"value" of key ${JSON.stringify(key)} is not valid base64 (standard alphabet, padded)`)
    bytes = Buffer.from(value, 'base64')
  } else {
    if (!(value as string & {isWellFormed(): boolean}).isWellFormed()) {
      throw new EntryError(`"value" of key ${JSON.stringify(key)} has an unpaired surrogate and is not valid UTF-8 text; encode such bytes as base64`)
    }
    bytes = Buffer.from(value, 'utf8')
  }
  if (limits) {
    validateKey(key, limits)
    validateValue(key, bytes, limits)
  }
  return {key, value: bytes}
}

/** Re-raises an entry problem as a user-facing error naming where it is. */
export function entryFailure(error: unknown, where: string, source: string): KvError {
  const hints = ['Nothing was imported.']
  if (error instanceof KvError) return makeError(error.kind, `Cannot import ${source}: ${where}: ${error.message}`, [...error.hints, ...hints])
  if (error instanceof EntryError) return new InvalidInputError(`Cannot import ${source}: ${where}: ${error.message}.`, [ENTRY_SHAPE_HINT, ...hints])
  throw error
}

function describeJson(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'string') return `a string`
  return `${typeof value} ${JSON.stringify(value)}`
}
