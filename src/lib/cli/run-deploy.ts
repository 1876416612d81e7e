// The deploy flow, shared by the oclif command and the fast path in src/fast-path/deploy.ts:
// read and check everything, plan, get the missing answers, apply in one backend call, then
// write the runtime config. Output goes through `DeployIo`, so both callers print the same.

import {statSync} from 'node:fs'
import {dirname, resolve, sep} from 'node:path'
import {collectAll, type AppInfo, type Backend} from '../backend.js'
import {NotFoundError, UnavailableError} from '../errors.js'
import {readManifest} from '../spin/read-manifest.js'
import {renderRuntimeConfig, runtimeConfigPath} from '../spin/runtime-config.js'
import {readRuntimeConfig, updateRuntimeConfig} from '../spin/runtime-config-file.js'
import {isTomlTable} from '../spin/toml-table.js'
import {parse} from 'smol-toml'
import {parseLinkSpecs, type LinkSpec} from '../deploy/link-spec.js'
import {planDeploy, toDeployRequest, type DeployPlan} from '../deploy/plan.js'
import {renderDeploySummary} from './render/deploy-summary.js'
import {reportFromPlan, reportFromResult, type DeployReport} from '../deploy/report.js'
import {parseSeedPairs, requireSeedLabel} from '../deploy/seed.js'
import {findSpinData, type SpinData} from '../spin/spin-data.js'
import {checkRuntimeConfig, writeAppRuntimeConfig, type RuntimeConfigOutcome} from '../spin/app-runtime-config.js'
import {formatPairs} from './render/progress.js'
import {shellQuote} from '../shell.js'
import {countSpinPairs, readSpinStoreFile} from '../transfer/spin-store-file.js'
import {commandLine} from '../cli-name.js'

export interface DeployOptions {
  from?: string
  links: readonly string[]
  yes: boolean
  dryRun: boolean
  keyValues: readonly string[]
  runtimeConfig?: string
  cwd: string
  /** Unlink the labels no component declares any more. */
  prune?: boolean
  /** Import what Spin kept for newly linked labels (true), leave it (false), or ask or say how (undefined). */
  importSpinData?: boolean
}

export interface DeployIo {
  /** stdout, for people (not called under --json). */
  log(text: string): void
  /** stderr notes (silent under --json). */
  note(text: string): void
  warn(text: string): void
  /**
   * Called when labels have no answer yet: returns the finished plan (by asking), or throws
   * (no terminal, or the user cancelled). Nothing has changed when it is called.
   */
  answer(plan: DeployPlan, links: LinkSpec[]): Promise<DeployPlan>
  /** Whether to print the human summary. */
  human: boolean
  /** Called once the backend has applied the deploy: from here on, the change is real. */
  applied?(): void
  /**
   * After a deploy to a server: the local runtime config still points `labels` at this machine's
   * stores. Returns whether to remove those tables (a question at a terminal; false elsewhere).
   */
  removeStaleEntries?(file: string, labels: string[]): Promise<boolean>
  /** At a terminal: whether to import the pairs Spin kept for a label into the store now linked to it. */
  importSpinData?(data: SpinData, store: string): Promise<boolean>
}

export interface DeployOutcome {
  report: DeployReport
  runtimeConfig?: RuntimeConfigOutcome
}

export async function runDeploy(getBackend: () => Promise<Backend>, options: DeployOptions, io: DeployIo): Promise<DeployOutcome> {
  // Everything that can be checked without the backend is checked first.
  const manifest = await readManifest(options.from, options.cwd)
  const links = parseLinkSpecs(options.links)
  const seed = parseSeedPairs(options.keyValues)
  if (seed.length > 0) requireSeedLabel(manifest)

  const backend = await getBackend()
  const current = await backend.getApp(manifest.name).catch((error: unknown) => {
    if (error instanceof NotFoundError) return undefined
    throw error
  })
  const stores = await collectAll((cursor) => backend.listStores({cursor}))
  let plan = planDeploy({manifest, current, existingStores: stores.map((store) => store.name), links, yes: options.yes})

  const runtimeConfig = runtimeConfigPath(manifest.file, options.runtimeConfig, options.cwd)
  if (backend.storeFiles) {
    if (options.runtimeConfig !== undefined) requireFolderOf(runtimeConfig, options.runtimeConfig)
    await checkRuntimeConfig(backend, runtimeConfig)
  } else if (options.runtimeConfig !== undefined) {
    io.warn('--runtime-config applies to the local backend only; no runtime config file was written.')
  }
  if (plan.sqliteLabels.length > 0) {
    io.note(`Note: kvcloud does not link SQLite databases yet; the app's sqlite_databases labels (${plan.sqliteLabels.join(', ')}) are left alone.`)
  }

  if (options.dryRun) {
    const report = reportFromPlan(plan, seed.length)
    if (io.human) io.log(renderDeploySummary(report))
    return {report}
  }

  if (plan.unanswered.length > 0) plan = await io.answer(plan, links)

  // Read before the deploy rewrites the runtime config: Spin data that the labels linked now hide.
  const storesFolder = backend.storeFiles?.storesFolder
  const spinData = storesFolder === undefined ? [] : findSpinData(manifest.file, runtimeConfig, plan.labels.map((label) => label.label), (file) =>
    resolve(file).startsWith(storesFolder + sep), countSpinPairs)

  const result = await backend.deploy(toDeployRequest(plan, seed))
  io.applied?.()
  const report = reportFromResult(plan, result, seed.length)
  for (const entry of report.labels.filter((label) => label.action === 'relinked')) {
    io.note(`Label "${entry.label}" now points at key value store "${entry.store}" instead of "${entry.previousStore}".`)
  }
  const pruned = options.prune ? await pruneUnused(backend, report) : []

  let outcome: RuntimeConfigOutcome | undefined
  try {
    const deployed: AppInfo = await backend.getApp(result.app)
    outcome = await writeAppRuntimeConfig(backend, deployed, {runtimeConfig, manifest: manifest.file}, {cwd: options.cwd, remove: pruned})
  } catch (error) {
    // The deploy itself is done; say so, so nobody deploys again to "fix" it.
    if (io.human) io.log(renderDeploySummary(report))
    throw new UnavailableError(
      `App "${report.app}" was deployed (revision ${report.revision}), but the runtime config for spin up was not written: ${(error as Error).message}`,
      [`Fix that, then run "${commandLine('deploy')}" again: it keeps the links and rewrites the file.`],
    )
  }
  if (outcome) {
    report.runtimeConfig = outcome.change.file
    report.spinUp = outcome.spinUp
  }

  const newlyLinked = new Set(report.labels.filter((label) => label.action !== 'kept').map((label) => label.label))
  const imported = await offerSpinData(backend, report, spinData.filter((data) => newlyLinked.has(data.label)), options.importSpinData, io)

  const stale = backend.kind === 'remote' ? await staleLocalEntries(runtimeConfig) : []
  if (io.human) {
    io.log(renderDeploySummary(report))
    if (stale.length > 0) await reportStaleEntries(runtimeConfig, stale, io)
    for (const data of imported) {
      io.note(`Imported ${formatPairs(data.pairs)} that Spin kept for "${data.label}" in ${data.file} into key value store "${data.store}".`)
    }
    if (outcome) {
      for (const replaced of outcome.change.replacedUserEntries) {
        io.note(`Replaced your [key_value_store.${replaced.label}] entry (type "spin", path "${replaced.path}") in ${outcome.change.file}: spin up now opens kvcloud's store for it. Your data stays in that file.`)
      }
      for (const kept of outcome.change.keptUserEntries) {
        io.note(`Kept your [key_value_store.${kept.label}] entry (type "${kept.type}") in ${outcome.change.file}; spin up uses it, not kvcloud's store.`)
      }
      io.note(`${outcome.change.changed ? 'Wrote' : 'Unchanged:'} ${outcome.change.file}. Run the app with its stores:`)
      io.note(`  ${outcome.spinUp}`)
    }
  }
  return {report, runtimeConfig: outcome}
}

/** `--prune`: unlinks the labels no component declares any more; returns them. */
async function pruneUnused(backend: Backend, report: DeployReport): Promise<string[]> {
  const labels = report.unused.map((link) => link.label)
  for (const label of labels) await backend.unlinkStore(report.app, label)
  report.pruned = report.unused
  report.unused = []
  return labels
}

/**
 * Spin data the newly linked labels now hide: imported into the linked store when asked
 * (--import-spin-data, or yes at a terminal), else a note that says how. Returns what was imported.
 */
async function offerSpinData(
  backend: Backend, report: DeployReport, found: SpinData[], wanted: boolean | undefined, io: DeployIo,
): Promise<Array<SpinData & {store: string}>> {
  const imported: Array<SpinData & {store: string}> = []
  for (const data of found) {
    const store = report.labels.find((label) => label.label === data.label)!.store
    const yes = wanted ?? (io.importSpinData ? await io.importSpinData(data, store) : undefined)
    if (yes === undefined) {
      io.note(
        `Spin keeps ${formatPairs(data.pairs)} for "${data.label}" in ${data.file}, which key value store "${store}" does not have. ` +
          `To bring them in: ${commandLine(`kv import -s ${store} ${shellQuote(data.file)} --from-label ${data.label}`)} (or deploy with --import-spin-data).`,
      )
      continue
    }
    if (!yes) continue
    const {count} = await backend.importPairs({app: report.app, label: data.label}, readSpinStoreFile(data.file, data.label))
    imported.push({...data, pairs: count, store})
  }
  return imported
}

/** `--runtime-config` in a folder that is not there is most likely a typo: refused, not created. */
function requireFolderOf(file: string, given: string): void {
  const folder = dirname(file)
  const info = statSync(folder, {throwIfNoEntry: false})
  if (info?.isDirectory()) return
  throw new NotFoundError(
    `The folder for --runtime-config ${given} ${info ? 'is not a folder' : 'does not exist'}: ${folder}. Nothing was changed.`,
    ['Create the folder first, or pass --runtime-config with a file in an existing folder.'],
  )
}

/**
 * The labels whose tables in a local runtime config kvcloud wrote for its local stores (the ones
 * it marks as its own). After a deploy to a server, spin up with that file would still open them.
 */
async function staleLocalEntries(file: string): Promise<string[]> {
  const text = await readRuntimeConfig(file).catch(() => undefined)
  if (text === undefined) return []
  const doc = parse(text)
  const labels = isTomlTable(doc.key_value_store) ? Object.keys(doc.key_value_store) : []
  return renderRuntimeConfig(text, file, [], labels).change.removed
}

async function reportStaleEntries(file: string, labels: string[], io: DeployIo): Promise<void> {
  const which = labels.length === 1 ? `label "${labels[0]}"` : `labels ${labels.map((label) => `"${label}"`).join(', ')}`
  io.warn(`${file} still points ${which} at this machine's local kvcloud stores, not at the server's; spin up with that file would read and write the local data.`)
  if (io.removeStaleEntries && (await io.removeStaleEntries(file, labels))) {
    await updateRuntimeConfig(file, [], labels)
    io.note(`Removed the kvcloud tables for ${which} from ${file}; your own entries in it are kept.`)
  } else {
    io.note(`To stop using them, remove kvcloud's [key_value_store.LABEL] tables from ${file} (at a terminal, deploy offers to); to keep working locally, deploy with --local.`)
  }
}
