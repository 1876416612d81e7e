// Spin's own statements for its SQLite key-value store (spin crates/key-value-spin/src/store.rs,
// Spin 3.x), so tests read and write store files exactly as `spin up` does.
export const SPIN_GET = 'SELECT value FROM spin_key_value WHERE store=$1 AND key=$2'
export const SPIN_SET = 'INSERT INTO spin_key_value (store, key, value) VALUES ($1, $2, $3) ON CONFLICT(store, key) DO UPDATE SET value=$3'
export const SPIN_DELETE = 'DELETE FROM spin_key_value WHERE store=$1 AND key=$2'
export const SPIN_KEYS = 'SELECT key FROM spin_key_value WHERE store=$1'

/** rusqlite binds `$1`, `$2` by position; better-sqlite3 names them "1", "2". */
export const bind = (...values: unknown[]): Record<string, unknown> => Object.fromEntries(values.map((value, i) => [String(i + 1), value]))
