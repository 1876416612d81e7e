import type {Limits, Pair} from '../backend.js'
import {NdjsonSplitter, Utf8Decoder} from '../api/ndjson.js'
import {InvalidInputError} from '../errors.js'
import {STORED_DATA_LIMITS} from '../validation.js'
import {entryFailure, ENTRY_SHAPE_HINT, parseEntry, parseEntryText} from './entry.js'
import {EntryStream, MAX_LINE_HEAD} from './json-entries.js'

export type TransferFormat = 'json' | 'ndjson'

export interface PairReaderOptions {
  /** Named in messages, e.g. the file path or "stdin". */
  source: string
  /** Pairs per batch handed to the backend. */
  batchSize?: number
  /** Checked per entry so that a message names the entry; the backend checks again. */
  limits?: Limits
  /** Test hook: the longest string an entry may hold (see EntryStream). */
  maxStringChars?: number
  /** Test hook: NDJSON lines and JSON-array entries longer than this go through the streaming parser. */
  longEntryChars?: number
}

export interface PairReader {
  batches: AsyncIterable<Pair[]>
  /** Bytes taken from the input so far (for a progress bar over a file of known size). */
  readonly bytesRead: number
  /** Known once the first non-space byte has been read; undefined for empty input. */
  readonly format: TransferFormat | undefined
}

export const DEFAULT_BATCH_SIZE = 5000
/** An NDJSON line longer than this goes through the streaming parser, never held whole. */
const LONG_LINE_CHARS = 16 * 1024 * 1024
/**
 * A JSON-array entry longer than this leaves the fast path (the rest goes through the streaming
 * parser): waiting for its end, the fast path would parse it again at every chunk.
 */
const FAST_ENTRY_CHARS = 1024 * 1024

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d])
const BOM = [0xef, 0xbb, 0xbf]

/**
 * Reads `kv import` input: a JSON array of entries, or NDJSON (one entry per line), told apart
 * by the first non-space character. Both are streamed (NDJSON line by line, a JSON array entry by
 * entry), so memory stays flat however large the input. Batches are produced as the consumer
 * asks for them, and the first bad entry throws (naming its line or index), which lets an
 * all-or-nothing import roll back: the backends stage every batch and apply none before the last.
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
      yield* jsonArrayBatches(rest(), options, batchSize)
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

/** Pairs gathered into batches of `size`: full batches wait until the reader yields them. */
class Batches {
  private batch: Pair[] = []
  private readonly waiting: Pair[][] = []

  constructor(private readonly size: number) {}

  readonly add = (pair: Pair): void => {
    this.batch.push(pair)
    if (this.batch.length >= this.size) {
      this.waiting.push(this.batch)
      this.batch = []
    }
  }

  /** The full batches so far. */
  *full(): Generator<Pair[]> {
    while (this.waiting.length > 0) yield this.waiting.shift()!
  }

  /** Every batch left, the last one not full, at the end of the input. */
  *all(): Generator<Pair[]> {
    yield* this.full()
    if (this.batch.length > 0) yield this.batch
    this.batch = []
  }
}

/**
 * A JSON array, entry by entry. The whole entries of each chunk are parsed at once by JSON.parse
 * (native, and as fast as NDJSON's lines); from the first text that does not parse so within
 * FAST_ENTRY_CHARS (an entry longer than that, or a mistake) on, the rest goes through
 * @streamparser/json (EntryStream), which streams entries of any size, refuses early what is too
 * large, and names where the text is wrong.
 */
async function* jsonArrayBatches(chunks: AsyncIterable<Buffer>, options: PairReaderOptions, batchSize: number): AsyncGenerator<Pair[]> {
  const decoder = new Utf8Decoder()
  const longChars = options.longEntryChars ?? FAST_ENTRY_CHARS
  const batches = new Batches(batchSize)
  const add = batches.add
  /** Entries read by the fast path, and where it is: before the "[", after it, after an entry, after the "]". */
  let count = 0
  // (A cast, not an annotation: the closures below change it, which narrowing does not see.)
  let after = 'start' as 'start' | 'open' | 'entry' | 'closed'
  /** Text decoded and not consumed yet. */
  let text = ''
  /** Newlines in all the text decoded so far. */
  let newlines = 0
  /** The consumed text of the line being read, while short enough to keep (for a message's column). */
  let lineHead: string | undefined = ''
  /** Chunks held, not searched again, while an entry the fast path waits for is cut: none has its "}" (or a "]"). */
  let pending: string[] = []
  let pendingChars = 0
  let waiting = false
  let parser: EntryStream | undefined

  /** Consumes the entries at the start of `text` that the fast path reads; says where it stopped and why. */
  const fast = (): {at: number; rest: 'wait' | 'parser'} => {
    let at = 0
    for (;;) {
      at = skipSpace(text, at)
      if (at === text.length) return {at, rest: 'wait'}
      if (after === 'start') {
        at++ // the "[" the format was told by
        after = 'open'
        continue
      }
      if (after === 'closed') return {at, rest: 'parser'}
      if (text.charCodeAt(at) === 0x5d /* ] */) {
        at++
        after = 'closed'
        continue
      }
      let start = at
      if (after === 'entry') {
        if (text.charCodeAt(at) !== 0x2c /* , */) return {at, rest: 'parser'}
        start = skipSpace(text, at + 1)
        if (start === text.length) return {at, rest: 'wait'}
      }
      // The entries up to the last "}" that may end one, in one JSON.parse: a few thousand at once,
      // at native speed. When that "}" is not the end of an entry (it is inside a string or an object
      // within one), JSON.parse fails and an earlier one is tried.
      let parsed: unknown[] | undefined
      let end = text.length
      for (let tries = 0; tries < 4 && parsed === undefined; tries++) {
        end = lastEntryEnd(text, start, end)
        if (end === -1) break
        try {
          parsed = JSON.parse(`[${text.slice(start, end)}]`) as unknown[]
        } catch {
          end--
        }
      }
      // No whole entry yet: the chunk's end cuts one, or the text is not JSON. Wait for more
      // unless this path has waited long enough; the parser then says what it is.
      if (parsed === undefined) return {at, rest: text.length - start <= longChars ? 'wait' : 'parser'}
      for (const [index, entry] of parsed.entries()) {
        try {
          add(parseEntry(entry, options.limits))
        } catch (error) {
          throw entryFailure(error, `entry at index ${count + index}`, options.source)
        }
      }
      count += parsed.length
      after = 'entry'
      at = end
    }
  }
  const consume = (at: number) => {
    const lastNewline = at > 0 ? text.lastIndexOf('\n', at - 1) : -1
    lineHead = lastNewline !== -1 ? text.slice(lastNewline + 1, at) : lineHead === undefined ? undefined : lineHead + text.slice(0, at)
    if (lineHead !== undefined && lineHead.length > MAX_LINE_HEAD) lineHead = undefined
    text = text.slice(at)
  }
  const handOver = (): EntryStream => {
    const stream = new EntryStream({
      shape: 'array',
      limits: options.limits ?? STORED_DATA_LIMITS,
      source: options.source,
      where: (index) => `entry at index ${index}`,
      subject: 'it',
      maxStringChars: options.maxStringChars,
      // The lines before the handover point: all those decoded, less those in what is left of the text.
      resume: {after: after === 'start' ? 'open' : after, index: count, line: 1 + newlines - countNewlines(text, text.length), lineHead},
      onEntry: (entry) => add(parseEntry(entry, options.limits)),
    })
    stream.write(text)
    text = ''
    return stream
  }
  for await (const chunk of chunks) {
    const fresh = decoder.decode(chunk)
    if (typeof fresh !== 'string') throw notUtf8Error(options.source, newlines + fresh.invalidLine)
    newlines += countNewlines(fresh, fresh.length)
    if (parser) {
      parser.write(fresh)
    } else if (waiting && fresh.indexOf('}') === -1 && fresh.indexOf(']') === -1 && text.length + pendingChars + fresh.length <= longChars) {
      pending.push(fresh)
      pendingChars += fresh.length
    } else {
      text += pending.join('') + fresh
      pending = []
      pendingChars = 0
      const {at, rest} = fast()
      consume(at)
      waiting = rest === 'wait'
      if (rest === 'parser' || text.length > longChars) parser = handOver()
    }
    // One chunk holds a few thousand entries at most: the batches they filled go out before the next is read.
    yield* batches.full()
  }
  if (!decoder.complete) throw endsInCharacterError(options.source)
  if (!parser) {
    text += pending.join('')
    consume(fast().at)
    // Anything left, or an array never closed: the parser says what is missing or wrong.
    if (after !== 'closed' || text.length > 0) parser = handOver()
  }
  parser?.end()
  yield* batches.all()
}

async function* ndjsonBatches(chunks: AsyncIterable<Buffer>, options: PairReaderOptions, batchSize: number): AsyncGenerator<Pair[]> {
  const decoder = new Utf8Decoder()
  const batches = new Batches(batchSize)
  const add = batches.add
  const splitter = new NdjsonSplitter({
    onLine(line, lineNumber) {
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
        add(parseEntry(entry, options.limits))
      } catch (error) {
        throw entryFailure(error, `line ${lineNumber}`, options.source)
      }
    },
    // A line longer than this is handed to the streaming parser as it comes, never held as one
    // string: it may be larger than V8's longest string, and a value over the limit is refused early.
    maxLineChars: options.longEntryChars ?? LONG_LINE_CHARS,
    longLine: (line) => new EntryStream({
      shape: 'one',
      limits: options.limits ?? STORED_DATA_LIMITS,
      source: options.source,
      where: () => `line ${line}`,
      subject: `line ${line}`,
      maxStringChars: options.maxStringChars,
      onEntry: (entry) => add(parseEntry(entry, options.limits)),
    }),
  })
  for await (const chunk of chunks) {
    const decoded = decoder.decode(chunk)
    if (typeof decoded !== 'string') throw notUtf8Error(options.source, splitter.linesEnded + decoded.invalidLine)
    splitter.write(decoded)
    // One chunk holds a few thousand lines at most: the batches they filled go out before the next is read.
    yield* batches.full()
  }
  if (!decoder.complete) throw endsInCharacterError(options.source)
  splitter.end()
  yield* batches.all()
}

/** The newlines in `text` before `end`. */
function countNewlines(text: string, end: number): number {
  let count = 0
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) count++
  return count
}

/**
 * Just after the last "}" in `text` before `before` (and from `start` on) that may end an entry:
 * one followed by "," or "]" or by nothing yet. -1 when there is none.
 */
function lastEntryEnd(text: string, start: number, before: number): number {
  for (let brace = before > start ? text.lastIndexOf('}', before - 1) : -1; brace >= start; brace = brace > 0 ? text.lastIndexOf('}', brace - 1) : -1) {
    const next = skipSpace(text, brace + 1)
    if (next === text.length || text.charCodeAt(next) === 0x2c /* , */ || text.charCodeAt(next) === 0x5d /* ] */) return brace + 1
  }
  return -1
}

function skipSpace(text: string, at: number): number {
  for (let char = text.charCodeAt(at); char === 0x20 || char === 0x0a || char === 0x0d || char === 0x09; char = text.charCodeAt(++at));
  return at
}

function notUtf8Error(source: string, line: number): InvalidInputError {
  return new InvalidInputError(`Cannot import ${source}: line ${line} is not valid UTF-8 text.`, [
    'Keys and text values must be UTF-8; give binary values as base64 with "base64": true. Nothing was imported.',
  ])
}

function endsInCharacterError(source: string): InvalidInputError {
  return new InvalidInputError(`Cannot import ${source}: it ends in the middle of a UTF-8 character.`, ['Nothing was imported.'])
}
