import type {Pair} from '../backend.js'
import {entryValue, isText, type TransferEntry} from '../api/entry.js'
import {InvalidInputError} from '../errors.js'

/**
 * The pair a request's entry (already checked against its schema) stands for, decoded by the
 * API's one codec; a key or value that is not text, or base64 that is not, fails with 400 naming
 * the entry as `where` says (e.g. "pairs[3]").
 */
export function pairFromEntry(entry: TransferEntry, where: string): Pair {
  if (!isText(entry.key)) {
    throw new InvalidInputError(`The key of ${where} (${JSON.stringify(entry.key)}) has an unpaired surrogate and is not valid UTF-8 text.`, [
      'Keys must be UTF-8 text. Nothing was changed.',
    ])
  }
  const value = entryValue(entry)
  if (value === 'not-text') {
    throw new InvalidInputError(
      `The value of ${where} (key ${JSON.stringify(entry.key)}) has an unpaired surrogate and is not valid UTF-8 text.`,
      ['Send a binary value as base64 with "base64": true. Nothing was changed.'],
    )
  }
  if (value === 'not-base64') throw new InvalidInputError(`The value of key "${entry.key.slice(0, 40)}" is marked base64 but is not valid base64.`)
  return {key: entry.key, value}
}
