import {Flags} from '@oclif/core'
import {BaseCommand} from '../base-command.js'
import {collectAll, type AppInfo} from '../lib/backend.js'
import {parseLinkSpecs} from '../lib/deploy/link-spec.js'
import {planDeploy, toDeployRequest, type DeployPlan} from '../lib/deploy/plan.js'
import {renderDeploySummary} from '../lib/deploy/render.js'
import {reportFromPlan, reportFromResult, unansweredLabelsError, type DeployReport} from '../lib/deploy/report.js'
import {parseSeedPairs, requireSeedLabel} from '../lib/deploy/seed.js'
import {checkRuntimeConfig, writeAppRuntimeConfig} from '../lib/deploy/spin-runtime.js'
import {NotFoundError, UnavailableError} from '../lib/errors.js'
import {readManifest} from '../lib/manifest/read-manifest.js'
import {askForUnansweredLabels, PromptCancelledError, Prompter} from '../lib/prompts.js'
import {runtimeConfigPath} from '../lib/runtime-config.js'

export type DeployCommandResult = DeployReport

export default class Deploy extends BaseCommand<typeof Deploy> {
  static override summary = "Deploy an app from its Spin manifest and link each of its key value store labels to a store."

  static override description = [
    'Reads spin.toml (or -f/--from FILE|DIR), creates or updates the app, and makes sure every label in its',
    "components' key_value_stores is linked to a key value store. Labels already linked stay as they are.",
    '',
    'For each label that is not linked yet, deploy asks whether to use an existing store or create one (the',
    'suggested name is APP-LABEL). Without a terminal nothing is asked: give --link kv:LABEL=STORE for each',
    'such label (a missing store is created), or --yes to link each one to APP-LABEL (created when missing).',
    'Otherwise deploy fails before changing anything and prints the command to run.',
    '',
    '--link for a label that is linked to another store relinks it. The whole deploy is one change: if it',
    'fails, or you cancel a question (Ctrl-C or Esc), no store, link or revision from it remains.',
    '',
    'On the local backend deploy also writes a runtime config file for `spin up` beside the manifest',
    '(runtime-config.toml, or --runtime-config FILE), mapping every linked label to its store file, and keeps',
    'the other entries of that file. SQLite databases (sqlite_databases) are not linked yet.',
  ].join('\n')

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> -f ./my-app --link kv:promptstore=case-a',
    '<%= config.bin %> <%= command.id %> --link kv:promptstore1=case-a --link kv:promptstore2=case-b',
    '<%= config.bin %> <%= command.id %> --yes --key-value greeting=hello',
    '<%= config.bin %> <%= command.id %> --dry-run --json',
  ]

  static override flags = {
    from: Flags.string({char: 'f', description: 'The Spin manifest, or the folder that holds spin.toml.', helpValue: 'FILE|DIR'}),
    link: Flags.string({
      description: 'Link a label to a store: kv:LABEL=STORE (repeatable; a missing store is created).',
      helpValue: 'kv:LABEL=STORE',
      multiple: true,
      multipleNonGreedy: true,
    }),
    yes: Flags.boolean({char: 'y', description: 'Link every label no --link answers to a store named APP-LABEL, created when missing; ask nothing.'}),
    'dry-run': Flags.boolean({description: 'Print the plan and change nothing.'}),
    'key-value': Flags.string({
      description: 'Write KEY=VALUE into the store linked as "default" (repeatable; split on the first "=").',
      helpValue: 'KEY=VALUE',
      multiple: true,
      multipleNonGreedy: true,
    }),
    'runtime-config': Flags.string({
      description: 'Runtime config file to write for spin up (local backend). Default: runtime-config.toml beside the manifest.',
      helpValue: 'FILE',
    }),
  }

  public async run(): Promise<DeployCommandResult> {
    const {flags} = this
    // Everything that can be checked without the backend is checked first.
    const manifest = await readManifest(flags.from)
    const links = parseLinkSpecs(flags.link ?? [])
    const seed = parseSeedPairs(flags['key-value'] ?? [])
    if (seed.length > 0) requireSeedLabel(manifest)

    const backend = await this.backend()
    const current = await backend.getApp(manifest.name).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined
      throw error
    })
    const stores = await collectAll((cursor) => backend.listStores({cursor}))
    let plan = planDeploy({manifest, current, existingStores: stores.map((store) => store.name), links, yes: flags.yes})

    const runtimeConfig = runtimeConfigPath(manifest.file, flags['runtime-config'])
    if (backend.kind === 'local') {
      await checkRuntimeConfig(backend, runtimeConfig)
    } else if (flags['runtime-config'] !== undefined) {
      this.warn('--runtime-config applies to the local backend only; no runtime config file was written.')
    }
    if (plan.sqliteLabels.length > 0) {
      this.note(`Note: kvcloud does not link SQLite databases yet; the app's sqlite_databases labels (${plan.sqliteLabels.join(', ')}) are left alone.`)
    }

    if (flags['dry-run']) {
      const report = reportFromPlan(plan, seed.length)
      if (!this.jsonEnabled()) this.log(renderDeploySummary(report))
      return report
    }

    if (plan.unanswered.length > 0) plan = await this.answer(plan, links)

    const result = await backend.deploy(toDeployRequest(plan, seed))
    const report = reportFromResult(plan, result, seed.length)
    for (const entry of report.labels.filter((label) => label.action === 'relinked')) {
      this.note(`Label "${entry.label}" now points at key value store "${entry.store}" instead of "${entry.previousStore}".`)
    }

    const deployed: AppInfo = await backend.getApp(result.app)
    let outcome: Awaited<ReturnType<typeof writeAppRuntimeConfig>>
    try {
      outcome = await writeAppRuntimeConfig(backend, deployed, {runtimeConfig, manifest: manifest.file})
    } catch (error) {
      // The deploy itself is done; say so, so nobody deploys again to "fix" it.
      if (!this.jsonEnabled()) this.log(renderDeploySummary(report))
      throw new UnavailableError(`App "${report.app}" was deployed (revision ${report.revision}), but the runtime config for spin up was not written: ${(error as Error).message}`, [
        'Fix that, then run "kvcloud deploy" again: it keeps the links and rewrites the file.',
      ])
    }
    if (outcome) {
      report.runtimeConfig = outcome.change.file
      report.spinUp = outcome.spinUp
    }

    if (!this.jsonEnabled()) {
      this.log(renderDeploySummary(report))
      if (outcome) {
        for (const kept of outcome.change.keptUserEntries) {
          this.note(`Kept your [key_value_store.${kept.label}] entry (type "${kept.type}") in ${outcome.change.file}; spin up uses it, not kvcloud's store.`)
        }
        this.note(`${outcome.change.changed ? 'Wrote' : 'Unchanged:'} ${outcome.change.file}. Run the app with its stores:`)
        this.note(`  ${outcome.spinUp}`)
      }
    }
    return report
  }

  /** Asks about the labels nothing answered, or fails before any change when nobody can answer. */
  private async answer(plan: DeployPlan, links: ReturnType<typeof parseLinkSpecs>): Promise<DeployPlan> {
    if (!this.interactive) {
      const leadingArgs = this.flags.from === undefined ? [] : ['-f', this.flags.from]
      const trailingArgs = [
        ...(this.flags['key-value'] ?? []).flatMap((pair) => ['--key-value', pair]),
        ...(this.flags['runtime-config'] === undefined ? [] : ['--runtime-config', this.flags['runtime-config']]),
      ]
      throw unansweredLabelsError(plan, {bin: this.config.bin, leadingArgs, links, trailingArgs})
    }
    try {
      return await askForUnansweredLabels(plan, new Prompter())
    } catch (error) {
      if (error instanceof PromptCancelledError) {
        this.error('Deploy cancelled; nothing was changed.', {exit: 130})
      }
      throw error
    }
  }
}
