import {join} from 'node:path'
import {UnavailableError} from '../errors.js'
import {sqliteBinding, sqlitePrimaryCode, type Db} from './sqlite-binding.js'

/**
 * Makes one server the only user of its data folder, for as long as it runs: it holds an
 * exclusive SQLite lock on `<data>/server.lock`. The operating system drops the lock when the
 * process ends, however it ends, so a crashed server never leaves the folder locked.
 * Owning the folder lets the server keep its account files locked too (fast reads, see
 * LocalBackendOptions.exclusive); `server token` commands use server.db, which stays shared.
 */
export class DataFolderLock {
  private constructor(private readonly db: Db) {}

  static acquire(dataDir: string): DataFolderLock {
    const path = join(dataDir, 'server.lock')
    let db: Db | undefined
    try {
      db = sqliteBinding().connect(path, {readonly: false, mustExist: false, busyTimeoutMs: 0})
      // The file holds nothing worth a journal on disk, so no server.lock-journal lies beside it.
      db.pragma('journal_mode = MEMORY')
      db.pragma('locking_mode = EXCLUSIVE')
      // In exclusive locking mode, the lock a write takes is kept after it commits.
      db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS held_by_a_running_server (x); COMMIT')
      return new DataFolderLock(db)
    } catch (error) {
      db?.close()
      if (sqlitePrimaryCode(error) === 'SQLITE_BUSY') {
        throw new UnavailableError(`Another kvcloud server is already using the data folder ${dataDir}.`, [
          'Stop that server first, or pass --data with another folder. Two servers cannot share one folder.',
        ])
      }
      throw new UnavailableError(`Cannot lock the server data folder ${dataDir} (${path}): ${(error as Error).message}`, [
        'Pass --data with a folder you can write to.',
      ])
    }
  }

  release(): void {
    if (this.db.open) this.db.close()
  }
}
