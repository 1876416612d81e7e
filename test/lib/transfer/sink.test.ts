import {strict as assert} from 'node:assert'
import {Writable} from 'node:stream'
import {writeChunks} from '../../../src/lib/transfer/sink.js'

async function* numbered(count: number, onPull?: (index: number) => void): AsyncGenerator<string> {
  for (let index = 0; index < count; index++) {
    onPull?.(index)
    yield `chunk ${index}\n`
  }
}

describe('writeChunks', () => {
  it('waits for a slow stream to drain instead of buffering everything', async () => {
    const written: string[] = []
    let maxBuffered = 0
    const slow = new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk.toString())
        setImmediate(callback)
      },
    })
    const complete = await writeChunks(slow, numbered(200, () => {
      maxBuffered = Math.max(maxBuffered, slow.writableLength)
    }))
    assert.equal(complete, true)
    assert.equal(written.length, 200)
    assert.equal(written[199], 'chunk 199\n')
    assert.ok(maxBuffered <= 32, `buffered up to ${maxBuffered} bytes`)
  })

  it('stops quietly when the reader has gone (EPIPE)', async () => {
    let pulled = 0
    const closed = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('write EPIPE'), {code: 'EPIPE'}))
      },
    })
    const complete = await writeChunks(closed, numbered(1000, () => pulled++))
    assert.equal(complete, false)
    assert.ok(pulled < 1000, `pulled ${pulled} chunks after the pipe closed`)
  })

  it('throws other write errors', async () => {
    const full = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('no space left on device'), {code: 'ENOSPC'}))
      },
    })
    await assert.rejects(writeChunks(full, numbered(10)), /no space left/)
  })
})
