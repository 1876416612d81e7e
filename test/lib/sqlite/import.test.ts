import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Pair} from '../../../src/lib/backend.js'
import {collectAll} from '../../../src/lib/backend.js'
import {LocalBackend} from '../../../src/lib/sqlite/local-backend.js'
import {DEFAULT_LIMITS} from '../../../src/lib/validation.js'

/** Batches that wait for `gate` before each one, so two imports can be interleaved on purpose. */
async function* slowBatches(prefix: string, count: number, gate: () => Promise<void>): AsyncIterable<Pair[]> {
  for (let i = 0; i < count; i++) {
    await gate()
    yield [{key: `${prefix}-${i}`, value: Buffer.from(prefix)}]
  }
}

describe('local imports running side by side in one process', function () {
  let home: string
  let backend: LocalBackend

  beforeEach(async function () {
    home = mkdtempSync(join(tmpdir(), 'kvcloud-import-'))
    backend = LocalBackend.open({home, limits: DEFAULT_LIMITS})
    await backend.createStore('shared')
  })

  afterEach(async function () {
    await backend.close()
    rmSync(home, {recursive: true, force: true})
  })

  it('keep their pairs apart, and a failing one leaves the other whole', async function () {
    const tick = () => new Promise<void>((resolve) => setImmediate(resolve))
    async function* failing(): AsyncIterable<Pair[]> {
      yield* slowBatches('bad', 5, tick)
      yield [{key: '', value: Buffer.from('x')}]
    }
    const [good, bad] = await Promise.allSettled([
      backend.importPairs({store: 'shared'}, slowBatches('good', 20, tick)),
      backend.importPairs({store: 'shared'}, failing()),
    ])
    assert.equal(good.status, 'fulfilled')
    assert.equal(good.status === 'fulfilled' && good.value.count, 20)
    assert.equal(bad.status, 'rejected')
    const keys = await collectAll((cursor) => backend.listKeys({store: 'shared'}, {cursor}))
    assert.equal(keys.length, 20)
    assert.ok(keys.every((key) => key.startsWith('good-')))
  })

  it('abandons an import whose store is deleted while it streams, applying nothing', async function () {
    let deleted = false
    async function* batches(): AsyncIterable<Pair[]> {
      yield [{key: 'a', value: Buffer.from('1')}]
      await backend.deleteStore('shared')
      deleted = true
      yield [{key: 'b', value: Buffer.from('2')}]
    }
    await assert.rejects(backend.importPairs({store: 'shared'}, batches()), /deleted while the import ran/)
    assert.ok(deleted)
    await backend.createStore('shared')
    assert.deepEqual((await backend.listKeys({store: 'shared'})).items, [])
  })
})
