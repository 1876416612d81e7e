import {closeSync, openSync, readSync} from 'node:fs'
import type {Pair} from '../backend.js'
import {InvalidInputError} from '../errors.js'
import {asBytes, openDatabase, pairOf, textOf, type KeyBytesRow} from '../sqlite/sqlite.js'

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1')
const PAGE = 5000

/** Whether a file is a SQLite database (its 16-byte header), so `kv import` reads it as a Spin store file. */
export function isSqliteFile(path: string): boolean {
  let fd: number | undefined
  try {
    fd = openSync(path, 'r')
    const header = Buffer.alloc(SQLITE_HEADER.length)
    return readSync(fd, header, 0, header.length, 0) === header.length && header.equals(SQLITE_HEADER)
  } catch {
    return false
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/**
 * The pairs Spin keeps under one label in one of its store files (`spin_key_value`, e.g. the
 * `.spin/sqlite_key_value.db` that `spin up` keeps for "default"), read in pages from one
 * snapshot on a read-only connection, so a running Spin can go on writing meanwhile.
 */
export function readSpinStoreFile(path: string, label: string): AsyncIterable<Pair[]> {
  const db = openDatabase(path, 'Spin store file', {create: false, readonly: true})
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'spin_key_value'").get()
    if (!table) {
      throw new InvalidInputError(`${path} is a SQLite file but not a Spin key value store (it has no spin_key_value table). Nothing was imported.`)
    }
    db.exec('BEGIN')
    if (!db.prepare('SELECT 1 FROM spin_key_value WHERE store = ? LIMIT 1').get(label)) {
      const labels = db.prepare('SELECT DISTINCT store FROM spin_key_value ORDER BY store LIMIT 20').pluck().all() as string[]
      throw new InvalidInputError(`The Spin store file ${path} has no pairs under the label "${label}". Nothing was imported.`, [
        labels.length > 0 ? `Its labels: ${labels.join(', ')}. Pass --from-label LABEL to import one of them.` : 'It holds no pairs at all.',
      ])
    }
  } catch (error) {
    db.close()
    throw error
  }
  const page = db.prepare<[string, string, number], KeyBytesRow>(
    `SELECT ${asBytes('key')}, CAST(value AS BLOB) AS value FROM spin_key_value WHERE store = ? AND key > ? ORDER BY key LIMIT ?`,
  )
  return (async function* () {
    try {
      let after = ''
      for (;;) {
        const rows = page.all(label, after, PAGE)
        if (rows.length > 0) yield rows.map(pairOf)
        if (rows.length < PAGE) return
        after = textOf(rows.at(-1)!.key_bytes)
      }
    } finally {
      // Closing ends the read transaction; nothing was written in it.
      db.close()
    }
  })()
}

/** How many pairs a Spin store file keeps under `label`; 0 when it is not a Spin store file or cannot be read. */
export function countSpinPairs(file: string, label: string): number {
  try {
    const db = openDatabase(file, 'Spin store file', {create: false, readonly: true})
    try {
      return db.prepare<[string], number>('SELECT count(*) FROM spin_key_value WHERE store = ?').pluck().get(label) ?? 0
    } finally {
      db.close()
    }
  } catch {
    // Not a Spin store file (or unreadable): nothing to offer.
    return 0
  }
}
