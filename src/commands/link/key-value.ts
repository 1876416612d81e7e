import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../lib/cli/base-command.js'
import type {LinkResult} from '../../lib/backend.js'
import {commandLine} from '../../lib/cli-name.js'
import {linkLabel} from '../../lib/cli/link.js'
import {confirmRelink} from '../../lib/cli/questions/link.js'

export interface LinkKeyValueResult extends LinkResult {
  /** The runtime config file rewritten for spin up (local backend, app deployed from this machine). */
  runtimeConfig?: string
}

export default class LinkKeyValue extends BaseCommand<typeof LinkKeyValue> {
  static override aliases = ['link:kv']

  static override summary = 'Link a key value store to an app under a label.'

  static override description = [
    'The app then opens the store when it opens the label; no rebuild is needed. Linking the same store again is fine and says so. If the label is linked to another store, you are asked whether to relink it; --yes answers yes, and without a terminal --yes is required.',
    'The label must be one that a component of the app declares in key_value_stores, since a link nobody opens is most likely a typo; --allow-undeclared links it anyway (for a label a coming deploy adds).',
    'On the local backend the runtime config file that deploy wrote for the app is rewritten to match.',
  ].join('\n\n')

  static override examples = [
    '<%= config.bin %> <%= command.id %> promptstore --app my-app --store case-a',
    '<%= config.bin %> link kv promptstore -a my-app -s case-b --yes',
  ]

  static override args = {
    label: Args.string({description: 'The label the app uses to open the store.', required: true}),
  }

  static override flags = {
    app: Flags.string({char: 'a', description: 'The app to link.', required: true, helpValue: 'APP'}),
    store: Flags.string({char: 's', description: 'The key value store to link.', required: true, helpValue: 'STORE'}),
    yes: Flags.boolean({char: 'y', description: 'Relink without asking when the label is linked to another store.'}),
    'allow-undeclared': Flags.boolean({description: 'Link a label that no component of the app declares.'}),
  }

  public async run(): Promise<LinkKeyValueResult> {
    const {label} = this.args
    const {app, store} = this.flags
    const {result, runtimeConfig: outcome} = await linkLabel(
      () => this.backend(),
      {app, label, store, yes: this.flags.yes, allowUndeclared: this.flags['allow-undeclared']},
      {
        confirmRelink: (appName, previous) =>
          this.confirmOrFail(
            {
              action: `App "${appName}"'s "${label}" label is currently linked to "${previous}". Relinking it to key value store "${store}"`,
              unchanged: 'Nothing was changed.',
              goal: 'relink it',
              yesCommand: `link kv ${label} --app ${appName} --store ${store} --yes`,
            },
            (prompter) => confirmRelink(prompter, appName, label, previous, store),
            'Cancelled; nothing was changed.',
          ),
        linked: (linked) => this.log(linkedMessage(linked)),
      },
    )
    if (outcome === 'unknown' && result.status !== 'already-linked') {
      this.note(`To run the app with this store under spin up, run "${commandLine('deploy')}" in its folder: it writes the runtime config file.`)
    } else if (typeof outcome === 'object' && outcome.change.changed) {
      this.note(`Updated ${outcome.change.file}. Restart the app with: ${outcome.spinUp}`)
    }
    return typeof outcome === 'object' ? {...result, runtimeConfig: outcome.change.file} : result
  }
}

function linkedMessage(result: LinkResult): string {
  return result.status === 'already-linked'
    ? `Key value store "${result.store}" is already linked to app "${result.app}" with the label "${result.label}"`
    : `Key value store "${result.store}" is now linked to app "${result.app}" with the label "${result.label}"` +
        (result.status === 'relinked' ? ` (instead of "${result.previousStore}")` : '')
}
