import {strict as assert} from 'node:assert'
import fc from 'fast-check'
import type {Pair} from '../../../src/lib/backend.js'
import {NotFoundError} from '../../../src/lib/errors.js'
import {formatExport, type ExportProgress} from '../../../src/lib/transfer/export-writer.js'
import {readPairs, type TransferFormat} from '../../../src/lib/transfer/import-reader.js'

async function* source(pairs: Pair[]): AsyncGenerator<Pair> {
  yield* pairs
}

async function exportText(pairs: Pair[], format: TransferFormat, progress?: ExportProgress): Promise<string> {
  let text = ''
  for await (const chunk of formatExport(source(pairs), format, progress)) text += chunk
  return text
}

async function importText(text: string): Promise<Pair[]> {
  async function* one(): AsyncGenerator<Buffer> {
    yield Buffer.from(text, 'utf8')
  }
  const pairs: Pair[] = []
  for await (const batch of readPairs(one(), {source: 'export'}).batches) pairs.push(...batch)
  return pairs
}

const sample: Pair[] = [
  {key: 'a', value: Buffer.from('1')},
  {key: 'bin', value: Buffer.from([0, 255, 10])},
  {key: 'text', value: Buffer.from('line\n"quoted"')},
]

describe('export writer', () => {
  it('writes a JSON array with one entry per line', async () => {
    assert.equal(
      await exportText(sample, 'json'),
      '[\n{"key":"a","value":"1"},\n{"key":"bin","value":"AP8K","base64":true},\n{"key":"text","value":"line\\n\\"quoted\\""}\n]\n',
    )
  })

  it('writes NDJSON', async () => {
    assert.equal(
      await exportText(sample, 'ndjson'),
      '{"key":"a","value":"1"}\n{"key":"bin","value":"AP8K","base64":true}\n{"key":"text","value":"line\\n\\"quoted\\""}\n',
    )
  })

  it('writes an empty store as [] or as nothing', async () => {
    assert.equal(await exportText([], 'json'), '[]\n')
    assert.equal(await exportText([], 'ndjson'), '')
  })

  it('stays valid JSON across chunk boundaries and counts the pairs', async () => {
    const pairs = Array.from({length: 2345}, (_, i) => ({key: `k${String(i).padStart(5, '0')}`, value: Buffer.from(`v${i}`)}))
    const progress = {count: 0}
    const text = await exportText(pairs, 'json', progress)
    assert.equal(progress.count, 2345)
    const parsed = JSON.parse(text) as Array<{key: string; value: string}>
    assert.equal(parsed.length, 2345)
    assert.deepEqual(parsed[1000], {key: 'k01000', value: 'v1000'})
    assert.equal((await exportText(pairs, 'ndjson')).split('\n').length, 2346)
  })

  it('writes nothing when the source fails at once (no such store)', async () => {
    const missing = (): AsyncIterable<Pair> => ({
      [Symbol.asyncIterator]: () => ({next: () => Promise.reject(new NotFoundError('No key value store found with name "x"'))}),
    })
    const chunks: string[] = []
    await assert.rejects(async () => {
      for await (const chunk of formatExport(missing(), 'json')) chunks.push(chunk)
    }, NotFoundError)
    assert.deepEqual(chunks, [])
  })

  it('lets the source clean up when the reader stops early', async () => {
    let finished = false
    async function* tracked(): AsyncGenerator<Pair> {
      try {
        for (let i = 0; ; i++) yield {key: `k${i}`, value: Buffer.from('v')}
      } finally {
        finished = true
      }
    }
    for await (const chunk of formatExport(tracked(), 'ndjson')) {
      assert.ok(chunk.length > 0)
      break
    }
    assert.ok(finished)
  })

  it('is read back by import as the same pairs, byte for byte, in both formats', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.record({key: fc.string({unit: 'grapheme', minLength: 1, maxLength: 10}), value: fc.uint8Array({maxLength: 40})}), {
          selector: (pair) => pair.key,
          maxLength: 20,
        }),
        fc.constantFrom<TransferFormat>('json', 'ndjson'),
        async (pairs, format) => {
          const back = await importText(await exportText(pairs, format))
          assert.deepEqual(
            back.map((pair) => [pair.key, Buffer.from(pair.value).toString('hex')]),
            pairs.map((pair) => [pair.key, Buffer.from(pair.value).toString('hex')]),
          )
        },
      ),
      {numRuns: 200},
    )
  })
})
