import {BaseCommand} from '../../lib/cli/base-command.js'
import {collectAll, type AppInfo} from '../../lib/backend.js'
import {renderAppList} from '../../lib/cli/render/apps.js'
import {commandLine} from '../../lib/cli-name.js'

export type AppsListResult = AppInfo[]

export default class AppsList extends BaseCommand<typeof AppsList> {
  static override summary = 'List deployed apps.'
  static override description = 'One row per app: version, revision, the key value store labels its components declare, and when it was last deployed. An app comes into being with "<%= config.bin %> deploy".'

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  public async run(): Promise<AppsListResult> {
    const backend = await this.backend()
    const apps = await collectAll((cursor) => backend.listApps({cursor}))
    if (!this.jsonEnabled()) {
      if (apps.length === 0) this.logToStderr(`No apps found. Deploy one with "${commandLine('deploy')}" in the folder of its spin.toml.`)
      else this.log(renderAppList(apps))
    }
    return apps
  }
}
