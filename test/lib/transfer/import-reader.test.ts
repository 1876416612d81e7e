import {strict as assert} from 'node:assert'
import type {Pair} from '../../../src/lib/backend.js'
import {InvalidInputError, TooLargeError} from '../../../src/lib/errors.js'
import {readPairs, type PairReaderOptions} from '../../../src/lib/transfer/import-reader.js'

async function* chunksOf(text: string | Buffer, size = Number.POSITIVE_INFINITY): AsyncGenerator<Buffer> {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8')
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, Math.min(bytes.length, at + size))
}

async function readAll(text: string | Buffer, options: Partial<PairReaderOptions> & {chunkSize?: number} = {}): Promise<{batches: Pair[][]; format?: string; bytesRead: number}> {
  const reader = readPairs(chunksOf(text, options.chunkSize), {source: 'data.txt', ...options})
  const batches: Pair[][] = []
  for await (const batch of reader.batches) batches.push(batch)
  return {batches, format: reader.format, bytesRead: reader.bytesRead}
}

function flat(batches: Pair[][]): Array<[string, string]> {
  return batches.flat().map((pair) => [pair.key, Buffer.from(pair.value).toString('utf8')])
}

async function failure(text: string, options: Partial<PairReaderOptions> = {}): Promise<Error> {
  try {
    await readAll(text, options)
  } catch (error) {
    return error as Error
  }
  assert.fail('expected the input to be refused')
}

describe('import reader', () => {
  it('reads a JSON array of entries', async () => {
    const {batches, format} = await readAll(' \n[{"key":"a","value":"1"},{"key":"b","value":"/w==","base64":true}]')
    assert.equal(format, 'json')
    assert.deepEqual(batches.flat(), [
      {key: 'a', value: Buffer.from('1')},
      {key: 'b', value: Buffer.from([0xff])},
    ])
  })

  it('reads NDJSON, skipping blank lines and accepting CRLF and a missing final newline', async () => {
    const {batches, format} = await readAll('{"key":"a","value":"1"}\r\n\r\n  \n{"key":"b", "value": "2"}\n{"key":"c","value":"x y"}')
    assert.equal(format, 'ndjson')
    assert.deepEqual(flat(batches), [['a', '1'], ['b', '2'], ['c', 'x y']])
  })

  it('splits lines and multi-byte characters that straddle chunk boundaries', async () => {
    const lines = Array.from({length: 50}, (_, i) => JSON.stringify({key: `ключ-${i}`, value: `😀 ${i} ü`}))
    for (const chunkSize of [1, 2, 3, 7, 64]) {
      const {batches} = await readAll(lines.join('\n') + '\n', {chunkSize})
      assert.deepEqual(flat(batches), lines.map((_, i) => [`ключ-${i}`, `😀 ${i} ü`]), `chunk size ${chunkSize}`)
    }
  })

  it('ignores a leading byte order mark', async () => {
    const {batches} = await readAll(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[{"key":"a","value":"1"}]')]))
    assert.deepEqual(flat(batches), [['a', '1']])
  })

  it('reads empty input (an exported empty NDJSON store) as no pairs', async () => {
    for (const text of ['', '  \n\n', '[]', '[ ]\n']) {
      const {batches} = await readAll(text)
      assert.deepEqual(batches.flat(), [], JSON.stringify(text))
    }
  })

  it('hands over NDJSON and a JSON array alike, in batches of the asked size (issue 12: the array is streamed too)', async () => {
    const lines = Array.from({length: 12}, (_, i) => JSON.stringify({key: `k${i}`, value: 'v'}))
    const ndjson = await readAll(lines.join('\n'), {batchSize: 5})
    assert.deepEqual(ndjson.batches.map((batch) => batch.length), [5, 5, 2])
    const json = await readAll(`[${lines.join(',')}]`, {batchSize: 5})
    assert.deepEqual(json.batches.map((batch) => batch.length), [5, 5, 2])
  })

  it('streams NDJSON: the first batches arrive before the input ends', async () => {
    let produced = 0
    async function* endless(): AsyncGenerator<Buffer> {
      for (;;) {
        produced++
        yield Buffer.from(JSON.stringify({key: `k${produced}`, value: 'v'}) + '\n')
      }
    }
    const reader = readPairs(endless(), {source: 'stdin', batchSize: 10})
    const iterator = reader.batches[Symbol.asyncIterator]()
    const first = await iterator.next()
    assert.equal(first.value?.length, 10)
    assert.ok(produced < 20, `read ${produced} lines for the first batch of 10`)
    assert.ok(reader.bytesRead > 0)
    await iterator.return?.()
  })

  it('counts the bytes it has read', async () => {
    const text = '{"key":"a","value":"1"}\n'
    assert.equal((await readAll(text)).bytesRead, Buffer.byteLength(text))
  })

  it('names the NDJSON line of a bad entry', async () => {
    const text = '{"key":"a","value":"1"}\n\n{"key":"b"}\n{"key":"c","value":"3"}\n'
    const error = await failure(text)
    assert.ok(error instanceof InvalidInputError)
    assert.equal(error.message, 'Cannot import data.txt: line 3: missing "value" for key "b".')
    assert.ok(error.hints.includes('Nothing was imported.'))
  })

  it('names the NDJSON line that is not JSON', async () => {
    const error = await failure('{"key":"a","value":"1"}\n{"key":"b",\n')
    assert.match(error.message, /^Cannot import data\.txt: line 2 is not valid JSON \(/)
  })

  it('names the index of a bad entry in a JSON array', async () => {
    const error = await failure('[{"key":"a","value":"1"},{"key":"b","value":"%%","base64":true}]')
    assert.equal(error.message, 'Cannot import data.txt: entry at index 1: "value" of key "b" is not valid base64 (standard alphabet, padded).')
  })

  it('refuses a JSON document that is not an array of objects, or not JSON at all', async () => {
    assert.match((await failure('[1]')).message, /entry at index 0: expected an object, got number 1/)
    assert.match((await failure('[{"key":"a","value":"1"}')).message, /it is not valid JSON/)
    assert.match((await failure('"text"')).message, /neither a JSON array .* nor NDJSON/)
    assert.match((await failure('key=value\n')).message, /neither a JSON array .* nor NDJSON/)
  })

  it('checks limits per entry and names the entry', async () => {
    const error = await failure(`{"key":"a","value":"1"}\n{"key":"${'k'.repeat(300)}","value":"1"}\n`, {limits: {maxKeyBytes: 256, maxValueBytes: 10}})
    assert.ok(error instanceof TooLargeError)
    assert.match(error.message, /^Cannot import data\.txt: line 2: Key "k+…" is 300 bytes; the key limit is 256 bytes/)
    const json = await failure('[{"key":"a","value":"12345678901"}]', {limits: {maxKeyBytes: 256, maxValueBytes: 10}})
    assert.match(json.message, /^Cannot import data\.txt: entry at index 0: The value of key "a" is 11 bytes/)
  })

  it('yields the good batches before the bad entry, then throws (the backend rolls back)', async () => {
    const lines = Array.from({length: 7}, (_, i) => JSON.stringify({key: `k${i}`, value: 'v'}))
    lines.push('{"key":1,"value":"v"}')
    const reader = readPairs(chunksOf(lines.join('\n')), {source: 's', batchSize: 3})
    const seen: number[] = []
    await assert.rejects(async () => {
      for await (const batch of reader.batches) seen.push(batch.length)
    }, /line 8: "key" must be a string/)
    assert.deepEqual(seen, [3, 3])
  })
})
