import {isUtf8} from 'node:buffer'
import type {Limits, Pair} from '../backend.js'
import {InvalidInputError} from '../errors.js'
import {entryFailure, ENTRY_SHAPE_HINT, parseEntry, parseEntryText} from './entry.js'

export type TransferFormat = 'json' | 'ndjson'

export interface PairReaderOptions {
  /** Named in messages, e.g. the file path or "stdin". */
  source: string
  /** Pairs per batch handed to the backend from NDJSON (a JSON array, already in memory, is one batch). */
  batchSize?: number
  /** Checked per entry so that a message names the entry; the backend checks again. */
  limits?: Limits
}

export interface PairReader {
  batches: AsyncIterable<Pair[]>
  /** Bytes taken from the input so far (for a progress bar over a file of known size). */
  readonly bytesRead: number
  /** Known once the first non-space byte has been read; undefined for empty input. */
  readonly format: TransferFormat | undefined
}

export const DEFAULT_BATCH_SIZE = 5000

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d])
const BOM = [0xef, 0xbb, 0xbf]

/**
 * Reads `kv import` input: a JSON array of entries, or NDJSON (one entry per line), told apart
 * by the first non-space character. NDJSON is streamed line by line, so memory stays flat
 * however large the input; a JSON array is parsed whole. Batches are produced as the
 * consumer asks for them, and the first bad entry throws (naming its line or index), which
 * lets an all-or-nothing import roll back.
 */
export function readPairs(input: AsyncIterable<Buffer | string>, options: PairReaderOptions): PairReader {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE
  const state: {bytesRead: number; format: TransferFormat | undefined} = {bytesRead: 0, format: undefined}

  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of input) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
      state.bytesRead += buffer.byteLength
      yield buffer
    }
  }

  async function* batches(): AsyncGenerator<Pair[]> {
    const chunks = counted()
    const head: Buffer[] = []
    let first: number | undefined
    // Hold back chunks until the first meaningful byte says which format this is.
    for (;;) {
      const next = await chunks.next()
      if (next.done) break
      let chunk = next.value
      if (head.length === 0 && chunk[0] === BOM[0] && chunk[1] === BOM[1] && chunk[2] === BOM[2]) chunk = chunk.subarray(3)
      head.push(chunk)
      first = chunk.find((byte) => !WHITESPACE.has(byte))
      if (first !== undefined) break
    }
    if (first === undefined) return // empty input: nothing to import (an empty NDJSON export)
    async function* rest(): AsyncGenerator<Buffer> {
      yield* head
      for (;;) {
        const next = await chunks.next()
        if (next.done) return
        yield next.value
      }
    }
    if (first === 0x5b /* [ */) {
      state.format = 'json'
      yield* jsonArrayBatches(rest(), options)
    } else if (first === 0x7b /* { */) {
      state.format = 'ndjson'
      yield* ndjsonBatches(rest(), options, batchSize)
    } else {
      throw new InvalidInputError(
        `Cannot import ${options.source}: it is neither a JSON array (starting with "[") nor NDJSON (lines starting with "{").`,
        [ENTRY_SHAPE_HINT, 'Nothing was imported.'],
      )
    }
  }

  return {
    batches: {[Symbol.asyncIterator]: () => batches()},
    get bytesRead() {
      return state.bytesRead
    },
    get format() {
      return state.format
    },
  }
}

async function* jsonArrayBatches(chunks: AsyncIterable<Buffer>, options: PairReaderOptions): AsyncGenerator<Pair[]> {
  const parts: Buffer[] = []
  for await (const chunk of chunks) parts.push(chunk)
  const whole = Buffer.concat(parts)
  let text: string
  try {
    text = new TextDecoder('utf-8', {fatal: true}).decode(whole)
  } catch {
    const line = lineOfFirstInvalidByte(whole)
    throw new InvalidInputError(`Cannot import ${options.source}: line ${line} is not valid UTF-8 text.`, [
      'Keys and text values must be UTF-8; give binary values as base64 with "base64": true. Nothing was imported.',
    ])
  }
  let entries: unknown
  try {
    entries = JSON.parse(text)
  } catch (error) {
    throw new InvalidInputError(`Cannot import ${options.source}: it is not valid JSON (${(error as Error).message}).`, [
      'Nothing was imported.',
    ])
  }
  if (!Array.isArray(entries)) {
    throw new InvalidInputError(`Cannot import ${options.source}: expected a JSON array of entries.`, [ENTRY_SHAPE_HINT, 'Nothing was imported.'])
  }
  // The whole array is in memory already, so it goes to the backend as one batch, which the
  // local backend applies without staging.
  const batch: Pair[] = []
  for (let index = 0; index < entries.length; index++) {
    try {
      batch.push(parseEntry(entries[index], options.limits))
    } catch (error) {
      throw entryFailure(error, `entry at index ${index}`, options.source)
    }
  }
  if (batch.length > 0) yield batch
}

async function* ndjsonBatches(chunks: AsyncIterable<Buffer>, options: PairReaderOptions, batchSize: number): AsyncGenerator<Pair[]> {
  // A plain splitter over the decoded stream rather than readline's per-line async iterator:
  // same streaming, a third of the cost per line, which matters at a million lines.
  // fatal: a byte that is not UTF-8 must stop the import, never be swapped for U+FFFD in a key.
  const decoder = new TextDecoder('utf-8', {fatal: true})
  let batch: Pair[] = []
  let lineNumber = 0
  let carry = ''
  const take = (line: string) => {
    lineNumber++
    if (line.length === 0 || (line.charCodeAt(0) !== 0x7b && line.trim() === '')) return
    let entry: unknown
    try {
      entry = parseEntryText(line)
    } catch (error) {
      throw new InvalidInputError(`Cannot import ${options.source}: line ${lineNumber} is not valid JSON (${(error as Error).message}).`, [
        ENTRY_SHAPE_HINT,
        'Nothing was imported.',
      ])
    }
    try {
      batch.push(parseEntry(entry, options.limits))
    } catch (error) {
      throw entryFailure(error, `line ${lineNumber}`, options.source)
    }
  }
  for await (const chunk of chunks) {
    let fresh: string
    try {
      fresh = decoder.decode(chunk, {stream: true})
    } catch {
      const line = lineNumber + 1 + countNewlines(carry) + lineOfFirstInvalidByte(chunk) - 1
      throw new InvalidInputError(`Cannot import ${options.source}: line ${line} is not valid UTF-8 text.`, [
        'Keys and text values must be UTF-8; give binary values as base64 with "base64": true. Nothing was imported.',
      ])
    }
    // Look for the first newline in the new text only, so one very long line costs linear time.
    const first = fresh.indexOf('\n')
    if (first === -1) {
      carry += fresh
      continue
    }
    const text = carry + fresh
    let start = 0
    let end = carry.length + first
    for (; end !== -1; end = text.indexOf('\n', start)) {
      take(text.charCodeAt(end - 1) === 13 /* \r */ && end > start ? text.slice(start, end - 1) : text.slice(start, end))
      start = end + 1
      if (batch.length >= batchSize) {
        yield batch
        batch = []
      }
    }
    carry = text.slice(start)
  }
  try {
    carry += decoder.decode()
  } catch {
    throw new InvalidInputError(`Cannot import ${options.source}: it ends in the middle of a UTF-8 character.`, ['Nothing was imported.'])
  }
  if (carry.length > 0) take(carry.endsWith('\r') ? carry.slice(0, -1) : carry)
  if (batch.length > 0) yield batch
}

function countNewlines(text: string): number {
  let count = 0
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++
  return count
}

/**
 * The 1-based line of `bytes` holding its first sequence that is not UTF-8. Called only after a
 * strict decode failed, so when every whole line is valid the fault is in the last one.
 */
function lineOfFirstInvalidByte(bytes: Buffer): number {
  let line = 1
  let start = 0
  for (let newline = bytes.indexOf(0x0a); newline !== -1; newline = bytes.indexOf(0x0a, start)) {
    if (!isUtf8(bytes.subarray(start, newline))) return line
    line++
    start = newline + 1
  }
  return line
}
