import {constants} from 'node:buffer'
import {TokenParser, Tokenizer, TokenParserError, TokenType, TokenizerError, type ParsedTokenInfo} from '@streamparser/json'
import type {Limits} from '../backend.js'
import {utf8Length} from '../bytes.js'
import {commandLine} from '../cli-name.js'
import {InvalidInputError, KvError, TooLargeError} from '../errors.js'
import {maxPairLineBytes} from '../api/ndjson.js'
import {formatBytes, keyTooLarge, valueTooLarge} from '../validation.js'
import {ENTRY_SHAPE_HINT, EntryError, entryFailure} from './entry.js'

// Import entries read from JSON text as it streams in, by @streamparser/json's tokenizer and token
// parser, without the whole text in memory. Between pieces of input it checks what the tokenizer
// is gathering: a string longer than any key or value within the limits, or an entry's text
// longer than any entry can be, is refused there, before it is held whole (a 560 MB value in one
// string failed as V8's "Invalid string length"; a 617 MB array as "not valid UTF-8"). The text
// comes decoded (the reader's strict decoder has already refused bytes that are not UTF-8).

/** The most bytes handed to the tokenizer at once: what it gathers is checked between pieces. */
const PIECE_BYTES = 1024 * 1024
/** No entry holds a number (keys and values are strings): one this long is refused before it grows. */
const MAX_NUMBER_CHARS = 4096
/** The start of the line being read is kept up to this long, for a message's column. */
export const MAX_LINE_HEAD = 64 * 1024

export interface EntryStreamOptions {
  /** 'array': the entries are the elements of one JSON array; 'one': the text is one entry (an NDJSON line). */
  shape: 'array' | 'one'
  /** Sizes beyond these are refused as the text arrives. */
  limits: Limits
  /** Named in messages, e.g. the file path or "stdin". */
  source: string
  /** An entry as messages name it: "entry at index 3", "line 7". */
  where: (index: number) => string
  /** What is "not valid JSON" in messages: "it" (the array) or "line 7". */
  subject: string
  /** Each entry as JSON.parse would give it; what it throws (EntryError, KvError) is reported as the entry's. */
  onEntry: (entry: unknown, index: number) => void
  /** Test hook: the longest string to gather (V8's longest, less a piece, by default). */
  maxStringChars?: number
  /**
   * Array shape: the text goes on an array whose first `index` entries were read elsewhere (the
   * reader's fast path), from a point after its "[" ('open'), after an entry ('entry') or after
   * its "]" ('closed'); `line` and `lineHead` say where that point is in the input.
   */
  resume?: {after: 'open' | 'entry' | 'closed'; index: number; line: number; lineHead?: string}
}

/** The tokenizer, with numbers bounded: a partial number is parsed again at every piece's end. */
class BoundedTokenizer extends Tokenizer {
  overlongNumber = false

  protected override parseNumber(text: string): number {
    if (text.length <= MAX_NUMBER_CHARS) return super.parseNumber(text)
    this.overlongNumber = true
    return Number.NaN
  }
}

/**
 * Entries from JSON text written piece by piece; `end()` once the input is over. Every
 * failure throws the user-facing error: the entry or the line and column it is at, and the limit
 * that was hit. Memory holds one entry and one piece, however long the input.
 */
export class EntryStream {
  private readonly tokenizer = new BoundedTokenizer({emitPartialTokens: true})
  private readonly parser: TokenParser
  /** How deep the entries are: 1 inside the array, 0 for one entry. */
  private readonly entryDepth: number
  private readonly maxKeyChars: number
  private readonly maxValueChars: number
  private readonly maxStringChars: number
  /** Strings up to this long need no closer look. */
  private readonly shortestLimit: number
  private readonly maxEntryBytes: number

  // Where the input is: bytes handed over, lines, the piece being read.
  private fed = 0
  private line = 1
  private lineStart = 0
  /** The bytes from lineStart to the piece being read, while short enough to keep. */
  private lineHead?: Buffer = Buffer.alloc(0)
  private piece: Uint8Array = new Uint8Array(0)
  private pieceLine = 1
  /** What the tokenizer was given before the text (to resume an array), not counted in offsets. */
  private readonly prime: string = ''
  /** The input's index of the parser's first entry; the parser's entry 0 is only a stand-in when primed with one. */
  private readonly indexBase: number = 0

  // Where the tokens are, for sizes and messages; updated once the parser has taken a token.
  private depth = 0
  private index = -1
  private entryStart = -1
  private previous?: TokenType
  private previousValue: unknown
  /** The property of the current entry whose value comes next. */
  private property?: string
  /** The current entry's "key", once read. */
  private key?: string
  /** The token the parser is taking (the one it refuses, when it does). */
  private current?: ParsedTokenInfo

  constructor(private readonly options: EntryStreamOptions) {
    this.entryDepth = options.shape === 'array' ? 1 : 0
    // A string of more UTF-16 units than a limit's bytes has more UTF-8 bytes than it allows
    // (each unit is at least a byte); a value may be base64, 4 characters for 3 bytes.
    this.maxKeyChars = options.limits.maxKeyBytes
    this.maxValueChars = Math.ceil(options.limits.maxValueBytes / 3) * 4
    this.maxStringChars = options.maxStringChars ?? constants.MAX_STRING_LENGTH - 2 * PIECE_BYTES
    this.shortestLimit = Math.min(this.maxKeyChars, this.maxValueChars, this.maxStringChars)
    this.maxEntryBytes = maxPairLineBytes(options.limits)
    this.parser = new TokenParser({paths: [options.shape === 'array' ? '$.*' : '$'], keepStack: false})
    const {resume} = options
    if (resume) {
      // The tokenizer is put where the array is: inside it, after an entry (a stand-in 0 for the
      // last one read elsewhere), or after its end.
      // (The space ends the number: the tokenizer emits a number only once something follows it.)
      this.prime = {open: '[', entry: '[0 ', closed: '[0]'}[resume.after]
      this.indexBase = resume.after === 'open' ? 0 : resume.index - 1
      this.line = resume.line
      this.lineHead = resume.lineHead === undefined ? undefined : Buffer.from(resume.lineHead, 'utf8')
      this.lineStart = -(this.lineHead?.length ?? 0)
    }
    const standIn = this.prime.length > 1
    this.parser.onValue = ({value, key}) => {
      const parsed = typeof key === 'number' ? key : 0
      if (standIn && parsed === 0) return
      const index = this.indexBase + parsed
      try {
        options.onEntry(value, index)
      } catch (error) {
        throw entryFailure(error, options.where(index), options.source)
      }
    }
    this.tokenizer.onToken = (token) => this.take(token)
    if (this.prime) {
      this.tokenizer.write(this.prime)
      this.index = this.indexBase + (standIn ? 0 : -1)
    }
  }

  write(text: string): void {
    const bytes = Buffer.from(text, 'utf8')
    for (let start = 0; start < bytes.length; start += PIECE_BYTES) this.writePiece(bytes.subarray(start, start + PIECE_BYTES))
  }

  end(): void {
    let inToken = false
    try {
      this.tokenizer.end()
    } catch (error) {
      if (!(error instanceof TokenizerError && error.message.startsWith('Tokenizer ended in the middle of a token'))) throw this.failure(error)
      inToken = true
    }
    if (this.parser.isEnded && !inToken) return
    if (this.options.shape === 'one') throw this.syntaxError('it ends before the entry does')
    throw this.syntaxError(inToken || this.depth > this.entryDepth ? `it ends in the middle of the entry at index ${this.entryIndex()}` : 'it ends before the array is closed')
  }

  private writePiece(piece: Uint8Array): void {
    this.piece = piece
    this.pieceLine = this.line
    try {
      this.tokenizer.write(piece)
    } catch (error) {
      throw this.failure(error)
    }
    this.fed += piece.length
    let last = -1
    for (let newline = piece.indexOf(0x0a); newline !== -1; newline = piece.indexOf(0x0a, newline + 1)) {
      this.line++
      last = newline
    }
    if (last !== -1) this.lineStart = this.fed - piece.length + last + 1
    const head = last !== -1 ? [piece.subarray(last + 1)] : this.lineHead ? [this.lineHead, piece] : []
    const headBytes = head.reduce((sum, part) => sum + part.length, 0)
    this.lineHead = head.length > 0 && headBytes <= MAX_LINE_HEAD ? Buffer.concat(head, headBytes) : undefined
    if (this.tokenizer.overlongNumber) {
      throw this.entryError(new EntryError(`a number of over ${MAX_NUMBER_CHARS} characters, where an entry holds strings`), this.entryIndex())
    }
    if (this.entryStart >= 0 && this.fed - this.entryStart > this.maxEntryBytes) {
      const {maxKeyBytes, maxValueBytes} = this.options.limits
      throw this.entryError(new TooLargeError(
        `Its JSON text is over ${this.maxEntryBytes} bytes, more than any entry can take within the limits (keys ${formatBytes(maxKeyBytes)}, values ${formatBytes(maxValueBytes)}, every byte escaped).`,
      ), this.index)
    }
  }

  /** One token from the tokenizer: checked if partial (still being read), else handed to the parser and followed. */
  private take(token: ParsedTokenInfo): void {
    if (token.partial) {
      if (token.token === TokenType.STRING) this.checkString(token.value as string)
      return
    }
    this.current = token
    this.parser.write(token)
    const depth = this.depth
    switch (token.token) {
      case TokenType.LEFT_BRACE:
      case TokenType.LEFT_BRACKET:
        if (depth === this.entryDepth) this.beginEntry(token.offset - this.prime.length)
        this.depth++
        break
      case TokenType.RIGHT_BRACE:
      case TokenType.RIGHT_BRACKET:
        this.depth--
        if (this.depth === this.entryDepth) this.entryStart = -1
        break
      case TokenType.COLON:
        if (depth === this.entryDepth + 1) this.property = this.previousValue as string
        break
      case TokenType.COMMA:
        break
      default:
        if (depth === this.entryDepth) this.beginEntry(-1)
        else if (depth === this.entryDepth + 1 && this.previous === TokenType.COLON && this.property === 'key' && token.token === TokenType.STRING) {
          this.key = token.value as string
        }
    }
    this.previous = token.token
    this.previousValue = token.value
  }

  private beginEntry(offset: number): void {
    this.index++
    this.entryStart = offset
    this.key = undefined
    this.property = undefined
  }

  /** The index of the entry a partial token is in: the next one when it is an entry of its own. */
  private entryIndex(): number {
    return this.depth === this.entryDepth ? this.index + 1 : this.index
  }

  /** A string the tokenizer is still gathering: refused once longer than anything it may be. */
  private checkString(text: string): void {
    if (text.length <= this.shortestLimit) return
    const ofEntry = this.depth === this.entryDepth + 1 && this.previous === TokenType.COLON
    const role = ofEntry && this.property === 'key' ? 'key' : ofEntry && this.property === 'value' ? 'value' : undefined
    const {limits} = this.options
    const allowed = role === 'key' ? this.maxKeyChars : role === 'value' ? this.maxValueChars : Math.max(this.maxKeyChars, this.maxValueChars)
    if (text.length > allowed && allowed <= this.maxStringChars) {
      throw this.entryError(
        // Only the start of the key has been read: the message shows it cut.
        role === 'key' ? keyTooLarge(`${text.slice(0, 40)}…`, `over ${limits.maxKeyBytes} bytes`, limits)
          : role === 'value' ? valueTooLarge(this.key, `over ${limits.maxValueBytes} bytes`, limits)
            : new TooLargeError(`It holds a string of over ${allowed} characters, longer than any key or value within the limits (keys ${formatBytes(limits.maxKeyBytes)}, values ${formatBytes(limits.maxValueBytes)}).`),
        this.entryIndex(),
      )
    }
    if (text.length > this.maxStringChars) {
      throw this.entryError(new TooLargeError(
        `It holds a string of over ${this.maxStringChars} characters, the longest text Node.js can hold in one string, so it cannot be imported from JSON.`,
        [`Set such a value with "${commandLine('kv set KEY --file FILE')}" instead.`],
      ), this.entryIndex())
    }
  }

  /** A failure inside the tokenizer or the parser, as the user's error. */
  private failure(error: unknown): unknown {
    if (error instanceof KvError) return error
    if (error instanceof TokenizerError) {
      const position = /^Unexpected "[\s\S]*" at chunk position "(\d+)"/.exec(error.message)?.[1]
      if (position !== undefined) {
        const at = Number(position)
        // The tokenizer names the byte; a character of several bytes is shown whole (if this piece holds it whole).
        const length = utf8Length(this.piece[at] ?? 0)
        const character = at + length <= this.piece.length ? JSON.stringify(Buffer.from(this.piece.subarray(at, at + length)).toString('utf8')) : 'non-ASCII character'
        return this.syntaxError(`unexpected ${character} ${this.location(this.fed + at)}${this.context()}`)
      }
    }
    if (error instanceof TokenParserError && this.current) {
      return this.syntaxError(`unexpected ${describeToken(this.current)} ${this.location(this.current.offset - this.prime.length)}${this.context()}`)
    }
    return error
  }

  /** "at line 3, column 7" of a byte offset: the column in characters while the start of its line is at hand. */
  private location(offset: number): string {
    const pieceStart = this.fed
    const one = this.options.shape === 'one'
    let line = this.pieceLine
    let column: number | undefined
    if (offset >= pieceStart && offset <= pieceStart + this.piece.length) {
      const at = offset - pieceStart
      let lineStart = -1
      for (let newline = this.piece.indexOf(0x0a); newline !== -1 && newline < at; newline = this.piece.indexOf(0x0a, newline + 1)) {
        line++
        lineStart = newline + 1
      }
      const text = lineStart >= 0 ? this.piece.subarray(lineStart, at) : this.lineHead && Buffer.concat([this.lineHead, this.piece.subarray(0, at)])
      column = text && Buffer.from(text.buffer, text.byteOffset, text.length).toString('utf8').length + 1
    } else if (offset >= this.lineStart && this.lineHead) {
      // On the line being read, in an earlier piece (a token that began there).
      column = this.lineHead.subarray(0, offset - this.lineStart).toString('utf8').length + 1
    } else {
      return `at byte ${offset + 1}${one ? ' of the line' : ''}`
    }
    if (one) return column === undefined ? `at byte ${offset + 1} of the line` : `at column ${column}`
    return column === undefined ? `at line ${line}` : `at line ${line}, column ${column}`
  }

  private context(): string {
    if (this.options.shape === 'one') return ''
    if (this.parser.isEnded) return ', after the end of the array'
    if (this.depth > this.entryDepth) return `, in the entry at index ${this.index}`
    return this.index >= 0 ? `, after the entry at index ${this.index}` : ''
  }

  private entryError(error: KvError | EntryError, index: number): KvError {
    return entryFailure(error, this.options.where(index), this.options.source)
  }

  private syntaxError(detail: string): InvalidInputError {
    const hints = this.options.shape === 'one' ? [ENTRY_SHAPE_HINT, 'Nothing was imported.'] : ['Nothing was imported.']
    return new InvalidInputError(`Cannot import ${this.options.source}: ${this.options.subject} is not valid JSON (${detail}).`, hints)
  }
}

function describeToken(token: ParsedTokenInfo): string {
  if (token.token === TokenType.STRING) {
    const text = token.value as string
    return `string ${JSON.stringify(text.length > 20 ? `${text.slice(0, 20)}…` : text)}`
  }
  if (token.token === TokenType.NUMBER) return `number ${String(token.value)}`
  return JSON.stringify(String(token.value))
}
