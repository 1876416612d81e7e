import {UnavailableError} from '../errors.js'
import type {Db} from './sqlite.js'

export interface MigrationPlan {
  /** Each entry moves the schema one version up; PRAGMA user_version records how far a file has come. */
  steps: string[]
  /** What the file is and where, for messages: `The kvcloud catalog /x/catalog.db`. */
  describe: string
  /** What to do about a file a newer kvcloud wrote. */
  newerHint: string
  /** Runs work in one write transaction of the database. */
  write: <T>(work: () => T) => T
  /** Inside the same transaction, after the steps from `from` up to the last one ran. */
  after?: (from: number) => void
}

/** Brings a kvcloud database's schema up to date, in one transaction; refuses one from a newer kvcloud. */
export function migrate(db: Db, plan: MigrationPlan): void {
  const latest = plan.steps.length
  const version = db.pragma('user_version', {simple: true}) as number
  if (version > latest) {
    throw new UnavailableError(`${plan.describe} was written by a newer kvcloud (schema ${version}; this one knows ${latest}).`, [plan.newerHint])
  }
  if (version === latest) return
  plan.write(() => {
    // Read again under the write lock: another process may have migrated meanwhile.
    const current = db.pragma('user_version', {simple: true}) as number
    for (let next = current; next < latest; next++) db.exec(plan.steps[next]!)
    db.pragma(`user_version = ${latest}`)
    plan.after?.(current)
  })
}
