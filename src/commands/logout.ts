import {BaseCommand} from '../lib/cli/base-command.js'
import {logout} from '../lib/cli/backend-choice.js'

export interface LogoutResult {
  loggedOut: boolean
  url?: string
  account?: string
}

export default class Logout extends BaseCommand<typeof Logout> {
  static override summary = 'Forget the saved server login; commands use the local backend again.'
  static override examples = ['<%= config.bin %> <%= command.id %>']

  public async run(): Promise<LogoutResult> {
    const previous = await logout()
    if (!previous) {
      this.note('Not logged in to any server; nothing to forget.')
    } else {
      this.note(`Logged out of ${previous.url} (account "${previous.account}"). Commands use the local backend again.`)
    }
    if (process.env.KVCLOUD_URL || process.env.KVCLOUD_TOKEN) {
      this.note('KVCLOUD_URL or KVCLOUD_TOKEN is still set in this environment, and it still selects a server.')
    }
    return previous ? {loggedOut: true, ...previous} : {loggedOut: false}
  }
}
