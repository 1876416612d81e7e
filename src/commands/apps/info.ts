import {Args} from '@oclif/core'
import {BaseCommand} from '../../lib/cli/base-command.js'
import type {AppInfo} from '../../lib/backend.js'
import {renderAppInfo} from '../../lib/cli/render/apps.js'

export type AppsInfoResult = AppInfo

export default class AppsInfo extends BaseCommand<typeof AppsInfo> {
  static override summary = 'Show an app: its components, labels, their links, revision and last deploy time.'

  static override examples = ['<%= config.bin %> <%= command.id %> my-app', '<%= config.bin %> <%= command.id %> my-app --json']

  static override args = {
    name: Args.string({description: 'Name of the app.', required: true}),
  }

  public async run(): Promise<AppsInfoResult> {
    const backend = await this.backend()
    const app = await backend.getApp(this.args.name)
    if (!this.jsonEnabled()) this.log(renderAppInfo(app))
    return app
  }
}
