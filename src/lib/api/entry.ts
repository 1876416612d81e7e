// One pair as it travels: the object wrangler's bulk put uses, which is also the line `kv export`
// writes and `kv import` reads. A value that is valid UTF-8 travels as text; any other value as
// base64 with "base64": true, so every store survives an export and an import byte for byte.
// The one codec of that entry, for the server, the HTTP client and the file reader alike.
import {isUtf8} from 'node:buffer'
import type {Pair} from '../backend.js'
import {toBuffer} from '../bytes.js'

/** One pair on the wire (its schema is TransferEntrySchema). */
export interface TransferEntry {
  key: string
  value: string
  base64?: boolean
}

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

/** Whether a string can be written as UTF-8: a lone surrogate (`"\ud800"`) is valid JSON but not text. */
export function isText(text: string): boolean {
  // String.prototype.isWellFormed is Node 20+; TypeScript's ES2022 library does not know it yet.
  return (text as string & {isWellFormed(): boolean}).isWellFormed()
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

/** Why an entry's value cannot be decoded: text that is not UTF-8, or base64 that is not base64. */
export type ValueProblem = 'not-text' | 'not-base64'

/**
 * The bytes of an entry's value, or what is wrong with it. Each side words the problem for its
 * reader (the server names the request's field, `kv import` the file's line).
 */
export function entryValue(entry: TransferEntry): Buffer | ValueProblem {
  if (entry.base64 === true) return isBase64(entry.value) ? Buffer.from(entry.value, 'base64') : 'not-base64'
  return isText(entry.value) ? Buffer.from(entry.value, 'utf8') : 'not-text'
}
