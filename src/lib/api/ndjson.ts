// NDJSON as both ends of the wire read and write it: one entry per line.
import {isUtf8} from 'node:buffer'
import type {Limits, Pair} from '../backend.js'
import {toBuffer, utf8Length} from '../bytes.js'
import {InvalidInputError, TooLargeError} from '../errors.js'
import {formatEntry} from './entry.js'

export const NDJSON = 'application/x-ndjson'

/** One NDJSON line (with its newline) per pair. */
export function pairLines(pairs: Pair[]): string {
  let text = ''
  for (const pair of pairs) text += formatEntry(pair) + '\n'
  return text
}

/** The longest line a pair within these limits can take in NDJSON, with room for JSON escapes. */
export function maxPairLineBytes(limits: Limits): number {
  // A value is at worst base64 (4/3) or escaped text (\u00XX: 6 bytes per byte); keys likewise.
  return 6 * limits.maxKeyBytes + Math.max(Math.ceil(limits.maxValueBytes / 3) * 4, 6 * limits.maxValueBytes) + 64
}

/** A line too long to hold as one string: it is handed on as it comes, then ended. */
export interface LongLine {
  write(text: string): void
  end(): void
}

export interface NdjsonSplitterOptions {
  /** Each line that is not blank, without its "\n" (or "\r\n"); lines count from 1, blank ones included. */
  onLine(text: string, line: number): void
  /** A line longer than this many characters is never held whole: it goes to `longLine` as it comes. */
  maxLineChars: number
  /** Where such a line goes; may throw, to refuse it. */
  longLine(line: number): LongLine
}

/**
 * The one NDJSON splitter: text in (as it is decoded, chunk by chunk), lines out. A plain
 * splitter rather than readline's per-line async iterator: same streaming, a third of the cost
 * per line, which matters at a million lines. Each chunk is searched from where the last one
 * ended, so a very long line costs linear time, and the text held is at most one line (up to
 * `maxLineChars`) and one chunk.
 */
export class NdjsonSplitter {
  private carry = ''
  private lines = 0
  private long?: LongLine

  constructor(private readonly options: NdjsonSplitterOptions) {}

  /** The lines ended so far (the line being read is the next one). */
  get linesEnded(): number {
    return this.lines
  }

  write(text: string): void {
    let fresh = text
    if (this.long) {
      const end = fresh.indexOf('\n')
      this.long.write(end === -1 ? fresh : fresh.slice(0, end))
      if (end === -1) return
      this.endLong()
      fresh = fresh.slice(end + 1)
    }
    const first = fresh.indexOf('\n')
    if (first === -1) {
      if (this.carry.length + fresh.length > this.options.maxLineChars) {
        this.long = this.options.longLine(this.lines + 1)
        this.long.write(this.carry + fresh)
        this.carry = ''
      } else {
        this.carry += fresh
      }
      return
    }
    const all = this.carry + fresh
    let start = 0
    for (let end = this.carry.length + first; end !== -1; end = all.indexOf('\n', start)) {
      this.take(all, start, end)
      start = end + 1
    }
    this.carry = all.slice(start)
  }

  /** The input is over: the last line needs no newline. */
  end(): void {
    if (this.long) this.endLong()
    else if (this.carry.length > 0) this.take(this.carry, 0, this.carry.length)
    this.carry = ''
  }

  private take(text: string, start: number, end: number): void {
    const line = ++this.lines
    const stop = end > start && text.charCodeAt(end - 1) === 13 /* \r */ ? end - 1 : end
    if (stop - start > this.options.maxLineChars) {
      const long = this.options.longLine(line)
      long.write(text.slice(start, stop))
      long.end()
      return
    }
    if (stop === start) return
    const piece = text.slice(start, stop)
    if (piece.charCodeAt(0) !== 0x7b /* { */ && piece.trim() === '') return
    this.options.onLine(piece, line)
  }

  private endLong(): void {
    const long = this.long!
    this.long = undefined
    this.lines++
    long.end()
  }
}

/**
 * An NDJSON byte stream (an import's body, an export's answer) as its lines, decoded strictly:
 * bytes that are not UTF-8 fail, never turned into U+FFFD (which would merge keys), and a line
 * over `maxLineBytes` fails before it is held whole.
 */
export async function* ndjsonLines(source: AsyncIterable<Uint8Array>, maxLineBytes: number): AsyncGenerator<{text: string; line: number}> {
  // Split as bytes and decode each line on its own: every line is a string of its own. Splitting
  // decoded text instead makes each line a slice of its chunk's text (and a long line a copy of
  // the chunks it spans), which a server's heap kept after every import (RSS grew with them).
  let pending: Buffer[] = []
  let pendingBytes = 0
  let line = 0
  for await (const chunk of source) {
    const bytes = toBuffer(chunk)
    let start = 0
    for (let end = bytes.indexOf(10, start); end !== -1; end = bytes.indexOf(10, start)) {
      line++
      const piece = bytes.subarray(start, end)
      checkLineLength(pendingBytes + piece.length, line, maxLineBytes)
      const whole = pendingBytes > 0 ? Buffer.concat([...pending, piece]) : piece
      pending = []
      pendingBytes = 0
      start = end + 1
      const text = lineText(whole, line)
      if (text) yield {text, line}
    }
    if (start < bytes.length) {
      const rest = bytes.subarray(start)
      pendingBytes += rest.length
      checkLineLength(pendingBytes, line + 1, maxLineBytes)
      // A copy: the stream may reuse the chunk's memory.
      pending.push(Buffer.from(rest))
    }
  }
  if (pendingBytes > 0) {
    line++
    const text = lineText(Buffer.concat(pending), line)
    if (text) yield {text, line}
  }
}

/** A line as text: bytes that are not UTF-8 fail, never turned into U+FFFD (which would merge keys). */
function lineText(bytes: Buffer, line: number): string {
  if (!isUtf8(bytes)) throw notUtf8(line)
  return bytes.toString('utf8').trim()
}

function checkLineLength(bytes: number, line: number, maxLineBytes: number): void {
  if (bytes > maxLineBytes) {
    throw new TooLargeError(`Line ${line} of the NDJSON body is over ${maxLineBytes} bytes, longer than any pair within the limits can be.`)
  }
}

function notUtf8(line: number): InvalidInputError {
  return new InvalidInputError(`Line ${line} of the NDJSON body is not valid UTF-8 text.`, [
    'Keys and text values must be UTF-8; give binary values as base64 with "base64": true.',
  ])
}

/**
 * UTF-8 chunks to text, strictly (bytes that are not UTF-8 must stop an import, never become
 * U+FFFD in a key), without TextDecoder's streaming mode: that one goes through ICU and makes
 * two-byte strings even of ASCII, which JSON.parse and Buffer.from then take at half the speed.
 */
export class Utf8Decoder {
  /** The first bytes of a character that the next chunk completes. */
  private tail?: Buffer

  /**
   * The chunk's text (with the character the previous chunk cut); when it is not UTF-8, the
   * 1-based line of the chunk where it is not (1 for the character the previous chunk began).
   */
  decode(chunk: Buffer): string | {invalidLine: number} {
    let head = ''
    let body = chunk
    if (this.tail) {
      const tail = this.tail
      const missing = utf8Length(tail[0]!) - tail.length
      const joined = Buffer.concat([tail, chunk.subarray(0, missing)])
      this.tail = undefined
      if (joined.length < tail.length + missing) {
        this.tail = joined
        return ''
      }
      if (!isUtf8(joined)) return {invalidLine: 1}
      head = joined.toString('utf8')
      body = chunk.subarray(missing)
    }
    const cut = body.length - incompleteTail(body)
    if (!isUtf8(body.subarray(0, cut))) return {invalidLine: lineOfFirstInvalidByte(chunk)}
    if (cut < body.length) this.tail = Buffer.from(body.subarray(cut))
    return head + body.toString('utf8', 0, cut)
  }

  /** Whether the input so far ends on a whole character. */
  get complete(): boolean {
    return this.tail === undefined
  }
}

/** How many bytes at the end of `bytes` start a character they do not complete (a byte no character starts with is left to isUtf8). */
function incompleteTail(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back]!
    if ((byte & 0xc0) === 0x80) continue
    return byte >= 0xc2 && byte <= 0xf4 && utf8Length(byte) > back ? back : 0
  }
  return 0
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
