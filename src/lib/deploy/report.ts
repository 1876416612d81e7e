import type {AppLink, DeployAction, DeployResult} from '../backend.js'
import {InvalidInputError} from '../errors.js'
import {formatLinkSpec, type LinkSpec} from './link-spec.js'
import {shellQuote} from '../shell.js'
import {ACTION_WORDS, type DeployPlan} from './plan.js'
import {defaultStoreName} from './store-name.js'

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

export interface CommandLineParts {
  /** How the user runs kvcloud (cliName()): "kvcloud", or "spin kvcloud" inside Spin. */
  bin: string
  /** Flags to repeat before the links, as typed (e.g. ["-f", "app/spin.toml"]). */
  leadingArgs: string[]
  links: readonly LinkSpec[]
  /** Flags to repeat after the links (e.g. --key-value, --runtime-config). */
  trailingArgs: string[]
}

/** Why no question was asked, completing "…needs an answer, and ___." */
export interface NoQuestions {
  reason: string
}

/**
 * The failure for a deploy that has labels nobody answered and no terminal to ask: lists the
 * labels and gives a command to copy that answers every one with the `APP-LABEL` store.
 */
export function unansweredLabelsError(plan: DeployPlan, parts: CommandLineParts, why: NoQuestions): InvalidInputError {
  const labels = plan.unanswered
  const suggested: LinkSpec[] = labels.map((label) => ({kind: 'kv', label, target: defaultStoreName(plan.app.name, label)}))
  const command = deployCommandLine({...parts, links: [...parts.links, ...suggested]})
  const count = labels.length === 1 ? 'a label' : `${labels.length} labels`
  return new InvalidInputError(
    `App "${plan.app.name}" has ${count} with no key value store linked: ${labels.join(', ')}. Nothing was changed: which store each uses needs an answer, and ${why.reason}.`,
    [
      'Say which store each label uses with --link kv:LABEL=STORE (a missing store is created), or pass --yes to link each one to a store named APP-LABEL, for example:',
      `  ${command}`,
    ],
  )
}

export function deployCommandLine(parts: CommandLineParts): string {
  const links = parts.links.flatMap((spec) => ['--link', formatLinkSpec(spec)])
  // The name is not quoted: inside Spin it is the two words `spin kvcloud`.
  return [parts.bin, ...['deploy', ...parts.leadingArgs, ...links, ...parts.trailingArgs].map(shellQuote)].join(' ')
}

