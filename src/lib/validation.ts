import {InvalidInputError, TooLargeError} from './errors.js'
import type {Limits} from './backend.js'

export const STORE_NAME_RULE =
  'A store name is 1 to 64 characters of letters, digits, "-" and "_", and starts with a letter or digit'

const STORE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/

export function validateStoreName(name: string): void {
  if (!STORE_NAME.test(name)) {
    throw new InvalidInputError(`Invalid key value store name "${name}". ${STORE_NAME_RULE}.`)
  }
}

/**
 * Spin's identifier rule (spin crates/serde/src/id.rs), which labels and v2 component ids follow:
 * words joined by one delimiter ("-" for kebab-case, "_" for snake_case), each word an ASCII letter
 * followed by ASCII letters and digits, its letters all lower-case or all upper-case. Each word
 * picks its own case: "HELLO-world" and "mixed_CASE_words" are valid, "Hello" is not.
 */
export function isSpinId(text: string, delimiter: '-' | '_'): boolean {
  if (text === '') return false
  return text.split(delimiter).every((word) => /^(?:[a-z][a-z0-9]*|[A-Z][A-Z0-9]*)$/.test(word))
}

export const LABEL_RULE =
  'A label is kebab-case or snake_case (not both): words of ASCII letters and digits joined by "-" or by "_", each starting with a letter and all lower- or all upper-case, e.g. "default", "prompt-store", "prompt_store", "HELLO-world"'

/** Spin's rule for key_value_stores labels: a kebab-case or a snake_case id. */
export function isValidLabel(label: string): boolean {
  return isSpinId(label, '-') || isSpinId(label, '_')
}

export function validateLabel(label: string): void {
  if (!isValidLabel(label)) {
    throw new InvalidInputError(`Invalid label "${label}". ${LABEL_RULE}.`)
  }
}

export const APP_NAME_RULE =
  'An app name is a kebab-case or snake_case name of up to 128 characters, as "spin new" makes them: words of ASCII letters and digits joined by "-" or by "_", each starting with a letter, e.g. "my-app"'

/**
 * App names. Spin's manifest takes any string, but `spin new` only makes kebab-case names, and
 * kvcloud names stores, files and URLs after apps, so a deploy holds the name to Spin's id rule.
 * Only deploy checks it: an app already in a catalog is still found, shown and deleted by its name.
 */
export function isValidAppName(name: string): boolean {
  return name.length <= 128 && (isSpinId(name, '-') || isSpinId(name, '_'))
}

export function validateAppName(name: string): void {
  if (!isValidAppName(name)) {
    throw new InvalidInputError(`Invalid app name ${JSON.stringify(name)}. ${APP_NAME_RULE}.`)
  }
}

/** The minimums every Spin backend promises; users may raise them in config. */
export const DEFAULT_LIMITS: Limits = {maxKeyBytes: 256, maxValueBytes: 1024 * 1024}

export function validateKey(key: string, limits: Limits): void {
  if (key.length === 0) {
    throw new InvalidInputError('A key cannot be empty. Keys are 1 to ' + `${limits.maxKeyBytes} bytes of UTF-8.`)
  }
  if (!isWellFormedUnicode(key)) {
    throw new InvalidInputError(`Key ${JSON.stringify(key)} is not valid UTF-8 text. Keys are 1 to ${limits.maxKeyBytes} bytes of UTF-8.`)
  }
  const bytes = Buffer.byteLength(key, 'utf8')
  if (bytes > limits.maxKeyBytes) throw keyTooLarge(key, `${bytes} bytes`, limits)
}

/** A key over the limit; `size` says how large it is ("300 bytes", or "over 65536 bytes" when not read whole). */
export function keyTooLarge(key: string, size: string, limits: Limits): TooLargeError {
  const error = new TooLargeError(`Key "${key.slice(0, 40)}${key.length > 40 ? '…' : ''}" is ${size}; the key limit is ${limits.maxKeyBytes} bytes of UTF-8.`)
  error.fact = {code: 'key-too-large', limit: limits.maxKeyBytes}
  return error
}

export function validateValue(key: string, value: Uint8Array, limits: Limits): void {
  if (value.byteLength > limits.maxValueBytes) throw valueTooLarge(key, `${value.byteLength} bytes`, limits)
}

/** A value over the limit, as keyTooLarge; `key` is undefined when it has not been read yet. */
export function valueTooLarge(key: string | undefined, size: string, limits: Limits): TooLargeError {
  const subject = key === undefined ? 'The value (its key comes after it)' : `The value of key "${key.slice(0, 40)}"`
  const error = new TooLargeError(`${subject} is ${size}; the value limit is ${limits.maxValueBytes} bytes (${formatBytes(limits.maxValueBytes)}).`)
  error.fact = {code: 'value-too-large', limit: limits.maxValueBytes}
  return error
}

function isWellFormedUnicode(text: string): boolean {
  // String.prototype.isWellFormed is Node 20+; lone surrogates cannot be encoded as UTF-8.
  return (text as string & {isWellFormed(): boolean}).isWellFormed()
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} bytes`
}

/**
 * What a store may already hold: Spin itself writes keys and values beyond the write limits
 * above, so reads, exports and imports (an export read back) accept data up to these ceilings,
 * while `kv set` keeps to the write limits. Limits guard new writes, never round trips.
 */
export const STORED_DATA_LIMITS: Limits = {maxKeyBytes: 64 * 1024, maxValueBytes: 256 * 1024 * 1024}

/** The larger of two sets of limits, field by field. */
export function widerLimits(a: Limits, b: Limits): Limits {
  return {maxKeyBytes: Math.max(a.maxKeyBytes, b.maxKeyBytes), maxValueBytes: Math.max(a.maxValueBytes, b.maxValueBytes)}
}
