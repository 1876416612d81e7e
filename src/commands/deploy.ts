import {Flags} from '@oclif/core'
import {BaseCommand} from '../lib/cli/base-command.js'
import type {LinkSpec} from '../lib/deploy/link-spec.js'
import type {DeployPlan} from '../lib/deploy/plan.js'
import {unansweredLabelsError} from '../lib/cli/deploy-advice.js'
import type {DeployReport} from '../lib/deploy/report.js'
import {cliName} from '../lib/cli-name.js'
import {runDeploy} from '../lib/cli/run-deploy.js'
import {askForUnansweredLabels, confirmRemoveStaleEntries, confirmSpinDataImport} from '../lib/cli/questions/deploy.js'

export type DeployCommandResult = DeployReport

export default class Deploy extends BaseCommand<typeof Deploy> {
  static override summary = "Deploy an app from its Spin manifest and link each of its key value store labels to a store."

  static override description = [
    "Reads spin.toml (or -f/--from FILE|DIR), creates or updates the app, and makes sure every label in its components' key_value_stores is linked to a key value store. Labels already linked stay as they are.",
    'For each label that is not linked yet, deploy asks whether to use an existing store or create one (the suggested name is APP-LABEL). Without a terminal nothing is asked: give --link kv:LABEL=STORE for each such label (a missing store is created), or --yes to link each one to APP-LABEL (created when missing). Otherwise deploy fails before changing anything and prints the command to run.',
    '--link for a label that is linked to another store relinks it. The whole deploy is one change: if it fails, or you cancel a question (Ctrl-C or Esc), no store, link or revision from it remains.',
    'On the local backend deploy also writes a runtime config file for `spin up` beside the manifest (runtime-config.toml, or --runtime-config FILE), mapping every linked label to its store file, and keeps the other entries of that file. SQLite databases (sqlite_databases) are not linked yet.',
  ].join('\n\n')

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
    prune: Flags.boolean({description: 'Unlink the labels of this app that no component declares any more.'}),
    'import-spin-data': Flags.boolean({
      description: 'Import what Spin itself kept for a newly linked label (.spin/sqlite_key_value.db for "default", or a spin store your runtime config named) into the store linked to it. --no-import-spin-data leaves it.',
      allowNo: true,
    }),
    'runtime-config': Flags.string({
      description: 'Runtime config file to write for spin up (local backend). Default: runtime-config.toml beside the manifest.',
      helpValue: 'FILE',
    }),
  }

  public async run(): Promise<DeployCommandResult> {
    const {flags} = this
    const {report} = await runDeploy(
      () => this.backend(),
      {
        from: flags.from,
        links: flags.link ?? [],
        yes: flags.yes,
        dryRun: flags['dry-run'],
        keyValues: flags['key-value'] ?? [],
        runtimeConfig: flags['runtime-config'],
        cwd: process.cwd(),
        prune: flags.prune,
        importSpinData: flags['import-spin-data'],
      },
      {
        human: !this.jsonEnabled(),
        log: (text) => this.log(text),
        note: (text) => this.note(text),
        warn: (text) => this.warn(text),
        answer: (plan, links) => this.answer(plan, links),
        importSpinData: async (data, store) =>
          this.interactive &&
          this.ask((prompter) => confirmSpinDataImport(prompter, data, store), 'Cancelled; Spin\'s data was not imported (the deploy itself is done).'),
        removeStaleEntries: async (file, labels) =>
          this.interactive &&
          this.ask((prompter) => confirmRemoveStaleEntries(prompter, file, labels), 'Cancelled; the runtime config was left as it is (the deploy itself is done).'),
      },
    )
    return report
  }

  /** Asks about the labels nothing answered, or fails before any change when nobody can answer. */
  private async answer(plan: DeployPlan, links: LinkSpec[]): Promise<DeployPlan> {
    if (!this.interactive) {
      const leadingArgs = this.flags.from === undefined ? [] : ['-f', this.flags.from]
      const trailingArgs = [
        ...(this.flags['key-value'] ?? []).flatMap((pair) => ['--key-value', pair]),
        ...(this.flags['runtime-config'] === undefined ? [] : ['--runtime-config', this.flags['runtime-config']]),
      ]
      throw unansweredLabelsError(plan, {bin: cliName(), leadingArgs, links, trailingArgs}, {reason: this.noQuestionsReason})
    }
    return this.ask((prompter) => askForUnansweredLabels(plan, prompter), 'Deploy cancelled; nothing was changed.')
  }
}
