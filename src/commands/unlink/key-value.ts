import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../base-command.js'
import type {UnlinkResult} from '../../lib/backend.js'
import {refreshAppRuntimeConfig} from '../../lib/deploy/spin-runtime.js'
import {NotFoundError} from '../../lib/errors.js'

export interface UnlinkKeyValueResult extends UnlinkResult {
  runtimeConfig?: string
}

export default class UnlinkKeyValue extends BaseCommand<typeof UnlinkKeyValue> {
  static override aliases = ['unlink:kv']

  static override summary = "Remove the link between an app's label and its key value store."

  static override description = [
    'The store and its data are kept; the app fails to open the label until it is linked again (kvcloud link kv LABEL -a APP -s STORE, or kvcloud deploy).',
    'On the local backend the table kvcloud wrote for the label in the runtime config file is removed.',
  ].join('\n\n')

  static override examples = ['<%= config.bin %> <%= command.id %> promptstore --app my-app', '<%= config.bin %> unlink kv promptstore -a my-app']

  static override args = {
    label: Args.string({description: 'The label to unlink.', required: true}),
  }

  static override flags = {
    app: Flags.string({char: 'a', description: 'The app whose label to unlink.', required: true, helpValue: 'APP'}),
  }

  public async run(): Promise<UnlinkKeyValueResult> {
    const {label} = this.args
    const backend = await this.backend()
    const app = await backend.getApp(this.flags.app)
    if (!app.links.some((link) => link.label === label)) {
      throw new NotFoundError(`No key value store found with label "${label}" for app "${app.name}"`, [
        app.links.length > 0
          ? `Its linked labels are: ${app.links.map((link) => link.label).join(', ')}.`
          : 'It has no linked labels.',
      ])
    }
    const result = await backend.unlinkStore(app.name, label)
    this.log(`Key value store '${result.store}' no longer linked to app ${result.app}`)
    const outcome = await refreshAppRuntimeConfig(backend, app.name, {remove: [label]})
    if (typeof outcome === 'object' && outcome.change.changed) {
      this.note(`Updated ${outcome.change.file}: spin up no longer finds a store for "${label}" until it is linked again.`)
    }
    return typeof outcome === 'object' ? {...result, runtimeConfig: outcome.change.file} : result
  }
}
