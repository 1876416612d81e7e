// A stand-in for a running `spin up` (Spin 3.x, crates/key-value-spin/src/store.rs): one
// connection with rusqlite's defaults (no pragmas, 5 s busy timeout), Spin's exact statements,
// and its increment as Spin runs it (a deferred transaction: read, then upsert).
//
//   node --import tsx spin-app.ts FILE LABEL PLAN_JSON
//
// PLAN_JSON: {"sets": N, "prefix": "p", "deletes": D, "increments": I, "counter": "c", "everyMs": 20, "untilFile": PATH}
// Sets keys PREFIX-0..N-1, deletes PREFIX-0..D-1, increments COUNTER I times; with untilFile it
// goes on setting PREFIX-N.. until that file exists. Prints one JSON line: what it did, the
// longest any one statement waited, and every failure.
import {existsSync} from 'node:fs'
import {openSqlite} from '../helpers/sqlite.js'

import {bind, SPIN_DELETE, SPIN_GET, SPIN_SET} from './spin-sql.js'

interface Plan {sets?: number; prefix?: string; deletes?: number; increments?: number; counter?: string; everyMs?: number; untilFile?: string}

const [file, label, planText] = process.argv.slice(2)
const plan = JSON.parse(planText ?? '{}') as Plan
const db = openSqlite(file!, {timeout: 5000, fileMustExist: true})
db.exec('CREATE TABLE IF NOT EXISTS spin_key_value (store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key))')
const get = db.prepare(SPIN_GET)
const set = db.prepare(SPIN_SET)
const del = db.prepare(SPIN_DELETE)

let maxWaitMs = 0
const failures: string[] = []
const timed = (what: string, work: () => void): boolean => {
  const started = performance.now()
  try {
    work()
    return true
  } catch (error) {
    failures.push(`${what}: ${(error as Error).message}`)
    return false
  } finally {
    maxWaitMs = Math.max(maxWaitMs, performance.now() - started)
  }
}
const pause = () => new Promise((resolve) => setTimeout(resolve, plan.everyMs ?? 0))
const prefix = plan.prefix ?? 'spin'

let sets = 0
const written: string[] = []
const setOne = (i: number) => {
  const key = `${prefix}-${i}`
  if (timed(`set ${key}`, () => set.run(bind(label, key, Buffer.from(`${label}:${i}`))))) written.push(key)
  sets++
}
for (let i = 0; i < (plan.sets ?? 0); i++) {
  setOne(i)
  await pause()
}
for (let i = 0; i < (plan.deletes ?? 0); i++) {
  timed(`delete ${prefix}-${i}`, () => del.run(bind(label, `${prefix}-${i}`)))
  await pause()
}
let incremented = 0
for (let i = 0; i < (plan.increments ?? 0); i++) {
  // Spin's increment: one deferred transaction; it fails at once if another writer holds the lock.
  const ok = timed('increment', () => db.transaction(() => {
    const row = get.get(bind(label, plan.counter ?? 'counter')) as {value: Buffer} | undefined
    const next = (row ? row.value.readBigInt64LE() : 0n) + 1n
    const value = Buffer.alloc(8)
    value.writeBigInt64LE(next)
    set.run(bind(label, plan.counter ?? 'counter', value))
  })())
  if (ok) incremented++
  await pause()
}
if (plan.untilFile) {
  for (let i = plan.sets ?? 0; !existsSync(plan.untilFile); i++) {
    setOne(i)
    await pause()
  }
}
db.close()
process.stdout.write(JSON.stringify({sets, written: written.length, lastKey: written.at(-1), incremented, maxWaitMs, failures}) + '\n')
