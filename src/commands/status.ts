import {BaseCommand} from '../base-command.js'
import type {BackendDescription, Limits} from '../lib/backend.js'
import {UserConfig} from '../lib/config.js'
import {formatBytes} from '../lib/validation.js'

export type StatusResult = BackendDescription & {configFile: string; limits: Limits}

export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'Show which backend kvcloud uses and where its data lives.'
  static override description =
    'The local backend keeps stores in SQLite files under the data folder ($KVCLOUD_HOME when set); the remote backend is a kvcloud server.'

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  public async run(): Promise<StatusResult> {
    const config = await UserConfig.open()
    const backend = await this.backend()
    const description = await backend.describe()
    const limits = config.limits
    if (description.kind === 'local') {
      this.log('Backend: local')
      this.log(`Data folder: ${description.home}`)
      this.log(`Catalog: ${description.catalog}`)
    } else {
      this.log('Backend: remote')
      this.log(`Server: ${description.url}`)
      this.log(`Account: ${description.account}`)
    }
    this.log(`Config file: ${config.paths.configFile}`)
    this.log(`Limits: keys up to ${limits.maxKeyBytes} bytes, values up to ${formatBytes(limits.maxValueBytes)}`)
    return {...description, configFile: config.paths.configFile, limits}
  }
}
