import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../base-command.js'
import type {LinkResult} from '../../lib/backend.js'
import {refreshAppRuntimeConfig} from '../../lib/spin/app-runtime-config.js'
import {CancelledError, InvalidInputError, NotFoundError} from '../../lib/errors.js'
import {validateLabel, validateStoreName} from '../../lib/validation.js'
import {commandLine} from '../../lib/cli-name.js'

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
    const {app: appName, store: storeName} = this.flags
    validateLabel(label)
    validateStoreName(storeName)
    const backend = await this.backend()
    const app = await backend.getApp(appName)
    await backend.getStore(storeName).catch((error: unknown) => {
      // The incumbent's wording for a link to a store that is not there.
      if (error instanceof NotFoundError) {
        throw new NotFoundError(`Key value store "${storeName}" does not exist`, [
          `Run "${commandLine('kv list')}" to see your stores, or "${commandLine(`kv create ${storeName}`)}" to make it.`,
        ])
      }
      throw error
    })
    if (!app.labels.includes(label) && !this.flags['allow-undeclared']) {
      throw new InvalidInputError(
        `App "${app.name}" does not use the label "${label}": no component declares it in key_value_stores` +
          (app.labels.length > 0 ? ` (its labels: ${app.labels.join(', ')}).` : ' (it declares no labels).'),
        ['Check the spelling, or pass --allow-undeclared to link it anyway.'],
      )
    }

    const previous = app.links.find((link) => link.label === label)?.store
    let replace = false
    if (previous !== undefined && previous !== storeName) {
      replace = this.flags.yes || (await this.confirmRelink(app.name, label, previous, storeName))
      if (!replace) throw new CancelledError(`Cancelled; label "${label}" stays linked to key value store "${previous}". Nothing was changed.`)
    }

    const result = await backend.linkStore({app: app.name, label, store: storeName, replace, allowUndeclared: this.flags['allow-undeclared']})
    const message =
      result.status === 'already-linked'
        ? `Key value store "${result.store}" is already linked to app "${result.app}" with the label "${result.label}"`
        : `Key value store "${result.store}" is now linked to app "${result.app}" with the label "${result.label}"` +
          (result.status === 'relinked' ? ` (instead of "${result.previousStore}")` : '')
    this.log(message)

    // Also when already linked: that repairs a runtime config table someone removed.
    const outcome = await refreshAppRuntimeConfig(backend, app.name)
    if (outcome === 'unknown' && result.status !== 'already-linked') {
      this.note(`To run the app with this store under spin up, run "${commandLine('deploy')}" in its folder: it writes the runtime config file.`)
    } else if (typeof outcome === 'object' && outcome.change.changed) {
      this.note(`Updated ${outcome.change.file}. Restart the app with: ${outcome.spinUp}`)
    }
    return typeof outcome === 'object' ? {...result, runtimeConfig: outcome.change.file} : result
  }

  private async confirmRelink(app: string, label: string, previous: string, next: string): Promise<boolean> {
    if (!this.interactive) {
      throw new InvalidInputError(
        `App "${app}"'s "${label}" label is currently linked to "${previous}". Relinking it to key value store "${next}" needs confirmation, and ${this.noQuestionsReason}. Nothing was changed.`,
        [`To relink it from a script, run: ${commandLine(`link kv ${label} --app ${app} --store ${next} --yes`)}`],
      )
    }
    return this.ask((prompter) => prompter.confirmRelink(app, label, previous, next), 'Cancelled; nothing was changed.')
  }
}
