import {strict as assert} from 'node:assert'
import fc from 'fast-check'
import type {Pair} from '../../../src/lib/backend.js'
import {InvalidInputError, TooLargeError} from '../../../src/lib/errors.js'
import {parseEntry} from '../../../src/lib/transfer/entry.js'
import {readPairs, type PairReaderOptions} from '../../../src/lib/transfer/import-reader.js'

// Issue 12: the JSON array is streamed entry by entry (@streamparser/json), and a string or an
// entry larger than the limits allow is refused as it arrives. The endless inputs below would
// hang a reader that waited for the whole string, entry or line.

async function* chunksOf(text: string | Buffer, size = Number.POSITIVE_INFINITY): AsyncGenerator<Buffer> {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8')
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, Math.min(bytes.length, at + size))
}

/** `head`, then `repeated` forever, in chunks of `repeated`. */
async function* endless(head: string, repeated: string): AsyncGenerator<Buffer> {
  yield Buffer.from(head)
  const chunk = Buffer.from(repeated)
  for (;;) yield chunk
}

async function read(input: AsyncIterable<Buffer>, options: Partial<PairReaderOptions> = {}): Promise<Pair[]> {
  const pairs: Pair[] = []
  for await (const batch of readPairs(input, {source: 'data.json', ...options}).batches) pairs.push(...batch)
  return pairs
}

async function failure(input: AsyncIterable<Buffer> | string, options: Partial<PairReaderOptions> = {}): Promise<Error & {hints?: string[]}> {
  try {
    await read(typeof input === 'string' ? chunksOf(input) : input, options)
  } catch (error) {
    return error as Error
  }
  assert.fail('expected the input to be refused')
}

const small = {maxKeyBytes: 16, maxValueBytes: 30}

describe('import reader: a streamed JSON array', () => {
  it('reads any array of entries as JSON.parse does, whatever the spacing, escapes and chunk boundaries', async () => {
    // Strings with the braces and commas that end entries, and fields that nest objects (ignored by the import).
    const text = (minLength: number) => fc.oneof(fc.string({unit: 'grapheme', minLength, maxLength: 12}), fc.constantFrom('}', '},', '}]', '{"a":1},', ' } , '))
    const entry = fc.record(
      {key: text(1), value: text(0), expiration: fc.integer(), metadata: fc.record({note: text(0), inner: fc.array(fc.record({x: text(0)}), {maxLength: 2})})},
      {requiredKeys: ['key', 'value']},
    )
    await fc.assert(
      fc.asyncProperty(fc.array(entry, {maxLength: 12}), fc.integer({min: 1, max: 40}), fc.constantFrom(0, 2), async (entries, chunkSize, indent) => {
        const text = JSON.stringify(entries, null, indent).replaceAll('é', '\\u00e9')
        const pairs = await read(chunksOf(text, chunkSize))
        assert.deepEqual(pairs, (JSON.parse(text) as unknown[]).map((parsed) => parseEntry(parsed)))
      }),
      {numRuns: 300},
    )
  })

  it('hands over the first batches before the array ends', async () => {
    let produced = 0
    async function* entries(): AsyncGenerator<Buffer> {
      yield Buffer.from('[')
      for (;;) yield Buffer.from(`${produced++ === 0 ? '' : ','}{"key":"k${produced}","value":"v"}`)
    }
    const iterator = readPairs(entries(), {source: 'stdin', batchSize: 10}).batches[Symbol.asyncIterator]()
    const first = await iterator.next()
    assert.equal(first.value?.length, 10)
    assert.ok(produced < 20, `read ${produced} entries for the first batch of 10`)
    await iterator.return?.()
  })

  it('names the line and column of text that is not JSON, and the entry it is in or after', async () => {
    const cases: Array<[string, string]> = [
      ['[\n  {"key": "a", "value": "1"},\n  {"key": "b" "value": "2"}\n]', 'unexpected string "value" at line 3, column 15, in the entry at index 1'],
      ['[{"key":"ü","value":"1"},\n {"key":"b","value":"2"} x]', 'unexpected "x" at line 2, column 26, after the entry at index 1'],
      ['[{"key":"a","value":"1"},]', 'unexpected "]" at line 1, column 26, after the entry at index 0'],
      ['[{"key":"a","value":"1"}] [', 'unexpected "[" at line 1, column 27, after the end of the array'],
      ['[{"key":"a","value":"1"}] é', 'unexpected "é" at line 1, column 27, after the end of the array'],
      ['[{"key":"a","value":"1"},{"key":"b"', 'it ends in the middle of the entry at index 1'],
      ['[{"key":"a","value":"1"},"unterminated', 'it ends in the middle of the entry at index 1'],
      ['[{"key":"a","value":"1"}', 'it ends before the array is closed'],
    ]
    for (const [text, detail] of cases) {
      for (const chunkSize of [Number.POSITIVE_INFINITY, 3]) {
        const error = await failure(chunksOf(text, chunkSize))
        assert.ok(error instanceof InvalidInputError, error.message)
        assert.equal(error.message, `Cannot import data.json: it is not valid JSON (${detail}).`, `${text} in chunks of ${chunkSize}`)
        assert.deepEqual(error.hints, ['Nothing was imported.'])
      }
    }
  })

  it('names the line that is not UTF-8, with a valid character split between chunks still read', async () => {
    const lines = ['[', '{"key":"ключ","value":"😀"},', '{"key":"b","value":"\xff"}', ']'].map((line) => Buffer.from(line, line.includes('\xff') ? 'latin1' : 'utf8'))
    const bytes = Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\n')]))
    for (const chunkSize of [Number.POSITIVE_INFINITY, 1, 5]) {
      const error = await failure(chunksOf(bytes, chunkSize))
      assert.equal(error.message, 'Cannot import data.json: line 3 is not valid UTF-8 text.', `chunks of ${chunkSize}`)
    }
    assert.equal((await failure(chunksOf(Buffer.from([0x5b, 0x22, 0xe2, 0x82])))).message, 'Cannot import data.json: it ends in the middle of a UTF-8 character.')
    // A character cut short by the next one, and a byte no character starts with, in either format.
    for (const bad of [Buffer.from([0xe2, 0x82]), Buffer.from([0xff])]) {
      const line = (text: string) => Buffer.from(text)
      const array = Buffer.concat([line('[\n{"key":"a","value":"1"},\n{"key":"b","value":"'), bad, line('x"}\n]')])
      const ndjson = Buffer.concat([line('{"key":"a","value":"1"}\n\n{"key":"b","value":"'), bad, line('x"}\n')])
      for (const chunkSize of [Number.POSITIVE_INFINITY, 1, 2, 5]) {
        assert.equal((await failure(chunksOf(array, chunkSize))).message, 'Cannot import data.json: line 3 is not valid UTF-8 text.', `array, ${bad.toString('hex')}, chunks of ${chunkSize}`)
        assert.equal((await failure(chunksOf(ndjson, chunkSize))).message, 'Cannot import data.json: line 3 is not valid UTF-8 text.', `NDJSON, ${bad.toString('hex')}, chunks of ${chunkSize}`)
      }
    }
  })

  it('refuses a value longer than the value limit allows even as base64, before it ends, naming the key and the limit', async () => {
    const error = await failure(endless('[{"key":"a","value":"1"},\n{"key":"big","value":"', 'x'.repeat(7)), {limits: small})
    assert.ok(error instanceof TooLargeError)
    assert.equal(error.message, 'Cannot import data.json: entry at index 1: The value of key "big" is over 30 bytes; the value limit is 30 bytes (30 bytes).')
    assert.ok(error.hints?.includes('Nothing was imported.'))
    const first = await failure(endless('[{"value":"', 'x'.repeat(7)), {limits: small})
    assert.equal(first.message, 'Cannot import data.json: entry at index 0: The value (its key comes after it) is over 30 bytes; the value limit is 30 bytes (30 bytes).')
  })

  it('refuses a key, or any other string, longer than a key or value may be, before it ends', async () => {
    const key = await failure(endless('[{"key":"', 'k'.repeat(5)), {limits: small})
    // Only the start of the key is shown, cut.
    assert.match(key.message, /^Cannot import data\.json: entry at index 0: Key "k{17,40}…" is over 16 bytes; the key limit is 16 bytes of UTF-8\.$/)
    const other = await failure(endless('[{"key":"a","value":"1"},"', 'x'.repeat(5)), {limits: small})
    assert.equal(other.message, 'Cannot import data.json: entry at index 1: It holds a string of over 40 characters, longer than any key or value within the limits (keys 16 bytes, values 30 bytes).')
    const name = await failure(endless('[{"', 'x'.repeat(5)), {limits: small})
    assert.match(name.message, /entry at index 0: It holds a string of over 40 characters/)
  })

  it('refuses a string longer than Node.js can hold when the limits would allow it', async () => {
    const error = await failure(endless('[{"key":"big","value":"', 'x'.repeat(64)), {maxStringChars: 1000})
    assert.ok(error instanceof TooLargeError)
    assert.equal(error.message, 'Cannot import data.json: entry at index 0: It holds a string of over 1000 characters, the longest text Node.js can hold in one string, so it cannot be imported from JSON.')
    assert.ok(error.hints?.includes('Set such a value with "kvcloud kv set KEY --file FILE" instead.'))
  })

  it('refuses an entry whose text is longer than any entry within the limits can be, and a number no entry has', async () => {
    const spaces = await failure(endless('[{"key":"a",', ' '.repeat(1000)), {limits: small})
    assert.match(spaces.message, /^Cannot import data\.json: entry at index 0: Its JSON text is over \d+ bytes, more than any entry can take within the limits \(keys 16 bytes, values 30 bytes, every byte escaped\)\.$/)
    const number = await failure(endless('[{"key":"a","value":', '9'.repeat(1000)))
    assert.equal(number.message, 'Cannot import data.json: entry at index 0: a number of over 4096 characters, where an entry holds strings.')
  })
})

describe('import reader: a very long NDJSON line', () => {
  const line = (key: string, value: string) => JSON.stringify({key, value})

  it('streams a line longer than the long-line threshold through the JSON parser, with the same result', async () => {
    const text = [line('a', '1'), line('long', 'é\\"'.repeat(50)), line('c', '3')].join('\n') + '\n'
    for (const chunkSize of [Number.POSITIVE_INFINITY, 7]) {
      const pairs = await read(chunksOf(text, chunkSize), {longEntryChars: 20})
      assert.deepEqual(pairs.map((pair) => pair.key), ['a', 'long', 'c'])
      assert.equal(Buffer.from(pairs[1]!.value).toString('utf8'), 'é\\"'.repeat(50))
    }
    const unterminated = [line('a', '1'), line('long', 'x'.repeat(100))].join('\n')
    assert.equal((await read(chunksOf(unterminated, 9), {longEntryChars: 20})).length, 2)
  })

  it('refuses a value over the limit on a line that never ends, naming the line and the limit', async () => {
    const error = await failure(endless(`${line('a', '1')}\n{"key":"big","value":"`, 'x'.repeat(7)), {limits: small, longEntryChars: 20})
    assert.ok(error instanceof TooLargeError)
    assert.equal(error.message, 'Cannot import data.json: line 2: The value of key "big" is over 30 bytes; the value limit is 30 bytes (30 bytes).')
  })

  it('names the line and the byte of a long line that is not JSON', async () => {
    const text = `${line('a', '1')}\n{"key":"long","value":"${'x'.repeat(40)}" "oops": 1}\n`
    const error = await failure(chunksOf(text, 16), {longEntryChars: 20})
    assert.equal(error.message, 'Cannot import data.json: line 2 is not valid JSON (unexpected string "oops" at column 66).')
    const longer = `{"key":"long","value":"${'x'.repeat(70_000)}" "oops": 1}`
    assert.equal((await failure(chunksOf(longer, 4096), {longEntryChars: 20})).message, 'Cannot import data.json: line 1 is not valid JSON (unexpected string "oops" at byte 70026 of the line).')
    assert.equal((await failure(chunksOf(`{"key":"${'x'.repeat(40)}`, 16), {longEntryChars: 20})).message, 'Cannot import data.json: line 1 is not valid JSON (it ends before the entry does).')
  })
})
