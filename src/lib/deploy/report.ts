import type {AppLink, DeployAction, DeployResult} from '../backend.js'
import {ACTION_WORDS, type DeployPlan} from './plan.js'

/** What `deploy` prints as its summary, and returns under `--json`. */
export interface DeployReport {
  app: string
  manifest: string
  dryRun: boolean
  /** The app's revision after this deploy (for a dry run: the revision it would get). */
  revision: number
  labels: Array<{label: string; store: string; action: DeployAction; previousStore?: string}>
  /** Labels with no store yet (dry run only: a real deploy asks or fails before changing anything). */
  unanswered: string[]
  /** Still linked, no longer declared by any component; left as they are (without --prune). */
  unused: AppLink[]
  /** With --prune: the links of labels no component declares any more, now removed. */
  pruned?: AppLink[]
  /** Declared SQLite labels, which kvcloud does not link yet. */
  sqliteLabels: string[]
  /** Pairs written into the store linked as "default". */
  seeded: number
  /** The runtime config file written for `spin up` (local backend only). */
  runtimeConfig?: string
  /** The command that starts the app with that runtime config. */
  spinUp?: string
}

export function reportFromPlan(plan: DeployPlan, seeded: number): DeployReport {
  return {
    app: plan.app.name,
    manifest: plan.manifestFile,
    dryRun: true,
    revision: (plan.currentRevision ?? 0) + 1,
    labels: plan.labels.map((entry) => ({
      label: entry.label,
      store: entry.store,
      action: ACTION_WORDS[entry.action],
      ...(entry.previousStore === undefined ? {} : {previousStore: entry.previousStore}),
    })),
    unanswered: plan.unanswered,
    unused: plan.unused,
    sqliteLabels: plan.sqliteLabels,
    seeded,
  }
}

export function reportFromResult(plan: DeployPlan, result: DeployResult, seeded: number): DeployReport {
  return {
    app: result.app,
    manifest: plan.manifestFile,
    dryRun: false,
    revision: result.revision,
    labels: result.labels.map((entry) => ({
      label: entry.label,
      store: entry.store,
      action: entry.action,
      ...(entry.previousStore === undefined ? {} : {previousStore: entry.previousStore}),
    })),
    unanswered: [],
    unused: result.unused,
    sqliteLabels: plan.sqliteLabels,
    seeded,
  }
}
