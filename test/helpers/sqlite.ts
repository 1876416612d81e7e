import {sqliteBinding, type Db} from '../../src/lib/sqlite/sqlite-binding.js'

export type {Db} from '../../src/lib/sqlite/sqlite-binding.js'

/**
 * A plain connection to a SQLite file, as `spin up` or a user's own tool opens it, through the
 * binding this Node gives kvcloud (node:sqlite on 22+, better-sqlite3 on 20). Options and
 * defaults are better-sqlite3's (a 5 s busy timeout, as Spin's).
 */
export function openSqlite(path: string, options: {readonly?: boolean; fileMustExist?: boolean; timeout?: number} = {}): Db {
  return sqliteBinding().connect(path, {
    readonly: options.readonly ?? false,
    mustExist: options.fileMustExist ?? options.readonly ?? false,
    busyTimeoutMs: options.timeout ?? 5000,
  })
}
