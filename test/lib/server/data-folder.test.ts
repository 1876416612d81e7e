import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {openSqlite} from '../../helpers/sqlite.js'
import {DEFAULT_LIMITS} from '../../../src/lib/validation.js'
import {KvError} from '../../../src/lib/errors.js'
import {LocalBackend} from '../../../src/lib/sqlite/local-backend.js'
import {DataFolderLock} from '../../../src/lib/sqlite/data-folder-lock.js'

describe('the server owns its data folder', function () {
  let dir: string

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'kvcloud-data-folder-'))
  })

  afterEach(function () {
    rmSync(dir, {recursive: true, force: true})
  })

  it('lets one holder lock a folder at a time, naming the folder to the second, and frees it on release', function () {
    const first = DataFolderLock.acquire(dir)
    try {
      assert.throws(() => DataFolderLock.acquire(dir), (error: unknown) =>
        error instanceof KvError && error.kind === 'unavailable' &&
        error.message === `Another kvcloud server is already using the data folder ${dir}.`)
    } finally {
      first.release()
    }
    DataFolderLock.acquire(dir).release()
  })

  it('keeps an exclusive backend\'s catalog locked while open; its store files stay Spin files an export can snapshot', async function () {
    const backend = LocalBackend.open({home: dir, limits: DEFAULT_LIMITS, exclusive: true})
    await backend.createStore('held')
    await backend.setValues({store: 'held'}, [{key: 'k', value: Buffer.from('v')}])
    assert.equal(Buffer.from(await backend.getValue({store: 'held'}, 'k')).toString(), 'v')
    const path = backend.storeFilePath('held')
    const catalog = openSqlite(join(dir, 'catalog.db'), {timeout: 0})
    const other = openSqlite(path, {timeout: 0})
    try {
      assert.throws(() => catalog.prepare('SELECT count(*) FROM stores').get(), /database is locked/)
      // A second connection (an export's snapshot) reads the store file while the server has it open.
      assert.deepEqual(other.prepare("SELECT key || '=' || CAST(value AS TEXT) FROM spin_key_value WHERE store = 'kvcloud:data'").pluck().all(), ['k=v'])
      await backend.close()
      assert.equal(other.pragma('journal_mode', {simple: true}), 'wal')
    } finally {
      catalog.close()
      other.close()
    }
  })
})
