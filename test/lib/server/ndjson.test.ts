import assert from 'node:assert/strict'
import {ndjsonLines} from '../../../src/lib/api/ndjson.js'
import {InvalidInputError, TooLargeError} from '../../../src/lib/errors.js'

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size)
}

async function linesOf(bytes: Buffer, size: number, maxLineBytes = 1024): Promise<Array<{text: string; line: number}>> {
  const lines: Array<{text: string; line: number}> = []
  for await (const line of ndjsonLines(chunked(bytes, size), maxLineBytes)) lines.push(line)
  return lines
}

// The one NDJSON splitter, as the server reads an import's body and the client an export's answer.
describe('NDJSON lines on the wire', function () {
  it('cuts lines at any chunk boundary, multi-byte characters included, skipping blank lines and counting them', async function () {
    const text = '{"key":"ключ","value":"😀"}\r\n\n   \n{"key":"b","value":"ü"}'
    for (const size of [1, 2, 3, 5, 64]) {
      assert.deepEqual(await linesOf(Buffer.from(text), size), [
        {text: '{"key":"ключ","value":"😀"}', line: 1},
        {text: '{"key":"b","value":"ü"}', line: 4},
      ], `chunks of ${size}`)
    }
  })

  it('refuses bytes that are not UTF-8, naming the line, whatever the chunks', async function () {
    const bytes = Buffer.concat([Buffer.from('{"key":"a","value":"1"}\n{"key":"'), Buffer.from([0xff]), Buffer.from('","value":"2"}\n')])
    for (const size of [1, 7, 1024]) {
      await assert.rejects(linesOf(bytes, size), (error: Error) => error instanceof InvalidInputError && /^Line 2 of the NDJSON body is not valid UTF-8 text\.$/.test(error.message))
    }
    await assert.rejects(linesOf(Buffer.from([0x7b, 0xe2, 0x82]), 1), /Line 1 of the NDJSON body is not valid UTF-8 text/)
  })

  it('refuses a line over the limit before holding it whole, whether it ends in the chunk or not', async function () {
    const long = Buffer.from(`{"key":"a","value":"${'x'.repeat(2000)}"}\n`)
    for (const size of [100, 4096]) {
      await assert.rejects(linesOf(Buffer.concat([Buffer.from('{"key":"ok","value":""}\n'), long]), size), (error: Error) =>
        error instanceof TooLargeError && /^Line 2 of the NDJSON body is over 1024 bytes/.test(error.message))
    }
  })
})
