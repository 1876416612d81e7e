import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../lib/cli/base-command.js'
import type {UnlinkResult} from '../../lib/backend.js'
import {unlinkLabel} from '../../lib/cli/link.js'

export interface UnlinkKeyValueResult extends UnlinkResult {
  runtimeConfig?: string
}

export default class UnlinkKeyValue extends BaseCommand<typeof UnlinkKeyValue> {
  static override aliases = ['unlink:kv']

  static override summary = "Remove the link between an app's label and its key value store."

  static override description = [
    'The store and its data are kept; the app fails to open the label until it is linked again (<%= config.bin %> link kv LABEL -a APP -s STORE, or <%= config.bin %> deploy).',
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
    const {result, runtimeConfig: outcome} = await unlinkLabel(backend, this.flags.app, label, (unlinked) =>
      this.log(`Key value store '${unlinked.store}' no longer linked to app ${unlinked.app}`),
    )
    if (typeof outcome === 'object' && outcome.change.changed) {
      // What Spin does with a label its runtime config does not name (spin crates/runtime-config, factor-key-value).
      this.note(label === 'default'
        ? `Updated ${outcome.change.file}: spin up now opens Spin's own default store for "default" (.spin/sqlite_key_value.db beside the app, or memory without a state folder) until it is linked again.`
        : `Updated ${outcome.change.file}: spin up now refuses to start the app ("unknown key_value_stores label") until "${label}" is linked again.`)
    }
    return typeof outcome === 'object' ? {...result, runtimeConfig: outcome.change.file} : result
  }
}
