import {openSqlite} from '../helpers/sqlite.js'

// Spin's own statements for its SQLite key-value store (spin crates/key-value-spin/src/store.rs,
// Spin 3.x), so tests read and write store files exactly as `spin up` does.
export const SPIN_GET = 'SELECT value FROM spin_key_value WHERE store=$1 AND key=$2'
export const SPIN_SET = 'INSERT INTO spin_key_value (store, key, value) VALUES ($1, $2, $3) ON CONFLICT(store, key) DO UPDATE SET value=$3'
export const SPIN_DELETE = 'DELETE FROM spin_key_value WHERE store=$1 AND key=$2'
export const SPIN_KEYS = 'SELECT key FROM spin_key_value WHERE store=$1'

/** rusqlite binds `$1`, `$2` by position; the SQLite bindings name them "1", "2". */
export const bind = (...values: unknown[]): Record<string, unknown> => Object.fromEntries(values.map((value, i) => [String(i + 1), value]))

/** A store file as `spin up` leaves it: Spin's table, filled with Spin's own upsert under `label`. */
export function writeSpinStoreFile(path: string, rows: Array<[label: string, key: string, value: Buffer]>): void {
  const db = openSqlite(path)
  try {
    db.exec('CREATE TABLE IF NOT EXISTS spin_key_value (store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key))')
    for (const [label, key, value] of rows) db.prepare(SPIN_SET).run(bind(label, key, value))
  } finally {
    db.close()
  }
}
