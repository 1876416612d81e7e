import type {Limits, Pair} from '../backend.js'
import {entryValue, type TransferEntry} from '../api/entry.js'
import {InvalidInputError, KvError, makeError} from '../errors.js'
import {validateKey, validateValue} from '../validation.js'

// An entry of `kv import` input and `kv export` output: the API's transfer entry (one codec, in
// api/entry.ts), checked here field by field so that a message says what is wrong with a file.

export {formatEntry, isBase64, parseEntryText, toEntry, type TransferEntry} from '../api/entry.js'

export const ENTRY_SHAPE_HINT =
  'Each entry is {"key": "...", "value": "..."}, with "base64": true when the value is base64-encoded bytes.'

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
  const bytes = entryValue(entry as TransferEntry)
  if (bytes === 'not-base64') throw new EntryError(`"value" of key ${JSON.stringify(key)} is not valid base64 (standard alphabet, padded)`)
  if (bytes === 'not-text') {
    throw new EntryError(`"value" of key ${JSON.stringify(key)} has an unpaired surrogate and is not valid UTF-8 text; encode such bytes as base64`)
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
  if (error instanceof KvError) {
    const wrapped = makeError(error.kind, `Cannot import ${source}: ${where}: ${error.message}`, [...error.hints, ...hints])
    wrapped.fact = error.fact
    return wrapped
  }
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
