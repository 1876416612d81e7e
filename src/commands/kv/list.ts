import {Flags} from '@oclif/core'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {collectAll} from '../../lib/backend.js'
import {renderStoreList, toStoreListJson, type StoreListEntry} from '../../lib/cli/render/store-list.js'

export type KvListResult = StoreListEntry[]

export default class KvList extends BaseCommand<typeof KvList> {
  static override summary = 'List key value stores and the apps they are linked to.'
  static override description =
    'By default one row per link, grouped by app, then the stores not linked to any app. ' +
    '--format json (and --json) prints one object per store: {"key_value_store": NAME, "links": [{"label", "app"}]}.'

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --app my-app',
    '<%= config.bin %> <%= command.id %> --group-by store',
    '<%= config.bin %> <%= command.id %> --format json',
  ]

  static override flags = {
    app: Flags.string({char: 'a', description: 'Only stores linked to this app.', helpValue: 'APP'}),
    'group-by': Flags.option({char: 'g', description: 'Group the table by app or by store.', options: ['app', 'store'] as const, default: 'app'})(),
    format: Flags.option({description: 'Output format.', options: ['table', 'json'] as const, default: 'table'})(),
  }

  public async run(): Promise<KvListResult> {
    const backend = await this.backend()
    const app = this.flags.app
    const stores = await collectAll((cursor) => backend.listStores({cursor, app}))
    const json = toStoreListJson(stores)
    if (this.jsonEnabled()) return json
    if (this.flags.format === 'json') {
      this.log(JSON.stringify(json, null, 2))
      return json
    }
    const view = renderStoreList(stores, {groupBy: this.flags['group-by'], app})
    if (view.text) this.log(view.text)
    if (view.emptyMessage) this.logToStderr(view.emptyMessage)
    return json
  }
}
