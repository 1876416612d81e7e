import assert from 'node:assert/strict'
import {mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Pair} from '../../../src/lib/backend.js'
import {LocalBackend} from '../../../src/lib/sqlite/local-backend.js'
import {DEFAULT_LIMITS} from '../../../src/lib/validation.js'

const openDescriptors = () => readdirSync('/proc/self/fd').length

describe('a local backend serving many stores', function () {
  this.timeout(60_000)
  let home: string
  let backend: LocalBackend

  beforeEach(function () {
    home = mkdtempSync(join(tmpdir(), 'kvcloud-files-'))
    backend = LocalBackend.open({home, limits: DEFAULT_LIMITS})
  })

  afterEach(async function () {
    await backend.close()
    rmSync(home, {recursive: true, force: true})
  })

  it('keeps a bounded number of store files open, reopening closed ones on use', async function () {
    const before = openDescriptors()
    for (let i = 0; i < 300; i++) {
      await backend.createStore(`s${i}`)
      await backend.setValues({store: `s${i}`}, [{key: 'k', value: Buffer.from(String(i))}])
    }
    const grown = openDescriptors() - before
    // 64 files open at most, three descriptors each in WAL mode (the file, -wal and -shm).
    assert.ok(grown <= 64 * 3 + 10, `300 stores left ${grown} more descriptors open`)
    for (const i of [0, 1, 150, 299]) assert.equal(Buffer.from(await backend.getValue({store: `s${i}`}, 'k')).toString(), String(i))
  })

  it('never closes a file under an import or an export that is still running', async function () {
    await backend.createStore('busy')
    await backend.setValues({store: 'busy'}, Array.from({length: 2500}, (_, i) => ({key: `k${String(i).padStart(4, '0')}`, value: Buffer.from('v')})))
    for (let i = 0; i < 100; i++) await backend.createStore(`other${i}`)
    const touchOthers = async () => {
      for (let i = 0; i < 100; i++) await backend.setValues({store: `other${i}`}, [{key: 'k', value: Buffer.from('x')}])
    }
    async function* batches(): AsyncIterable<Pair[]> {
      yield [{key: 'new-1', value: Buffer.from('1')}]
      await touchOthers()
      yield [{key: 'new-2', value: Buffer.from('2')}]
    }
    assert.equal((await backend.importPairs({store: 'busy'}, batches())).count, 2)
    let exported = 0
    for await (const _pair of backend.exportPairs({store: 'busy'})) {
      if (++exported === 1) await touchOthers()
    }
    assert.equal(exported, 2502)
  })
})
