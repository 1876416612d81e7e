import {join} from 'node:path'
import {openSqlite} from './sqlite.js'
import {AccountRegistry} from '../../src/lib/sqlite/accounts.js'
import {LocalBackend} from '../../src/lib/sqlite/local-backend.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'

/** A token made directly in the server's database, as `kvcloud server token create` would. */
export function createToken(dataDir: string, account: string): {id: string; token: string; accountHome: string} {
  const registry = AccountRegistry.open(dataDir)
  try {
    const created = registry.createToken(account)
    const accountRecord = registry.authenticate(created.token)!
    return {id: created.id, token: created.token, accountHome: registry.accountHome(accountRecord)}
  } finally {
    registry.close()
  }
}

/**
 * SQLite's own verdict on a file: "ok" or the list of problems. Opened for writing, as the
 * restarted server would: a hot journal left by a kill is rolled back first.
 */
export function integrityCheck(path: string): string {
  const db = openSqlite(path, {fileMustExist: true})
  try {
    return (db.pragma('integrity_check') as Array<{integrity_check: string}>).map((row) => row.integrity_check).join('; ')
  } finally {
    db.close()
  }
}

/** The account's catalog and a store's file, read while the server is stopped. */
export async function accountFiles(accountHome: string, store: string): Promise<{catalog: string; storeFile: string}> {
  const backend = LocalBackend.open({home: accountHome, limits: DEFAULT_LIMITS})
  try {
    // Read through kvcloud first, as the restarted server would: that finishes a publish a kill cut short.
    await backend.listKeys({store}, {limit: 1})
    return {catalog: join(accountHome, 'catalog.db'), storeFile: backend.storeFilePath(store)}
  } finally {
    await backend.close()
  }
}

/** Rows of the store file whose key starts with the prefix, counted by SQLite directly. */
export function countKeys(storeFile: string, prefix: string): number {
  const db = openSqlite(storeFile, {readonly: true, fileMustExist: true})
  try {
    return (db.prepare('SELECT count(*) AS n FROM spin_key_value WHERE key >= ? AND key < ?').get(prefix, prefix + '\uffff') as {n: number}).n
  } finally {
    db.close()
  }
}
