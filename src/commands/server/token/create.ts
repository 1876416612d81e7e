import {Flags} from '@oclif/core'
import {BaseCommand} from '../../../base-command.js'
import {AccountRegistry, type CreatedToken} from '../../../lib/server/accounts.js'
import {defaultServerDataDir} from '../../../lib/server/run.js'

export default class ServerTokenCreate extends BaseCommand<typeof ServerTokenCreate> {
  static override summary = 'Create an API token for an account, creating the account if needed.'
  static override description =
    'Prints the token on stdout, once: only its hash is kept. Give it to the account\'s users for "kvcloud login". ' +
    'Works on the server\'s data folder directly, so it can run while the server is running.'

  static override examples = [
    '<%= config.bin %> <%= command.id %> --account team-a',
    '<%= config.bin %> <%= command.id %> --account team-a --data /srv/kvcloud --json',
  ]

  static override flags = {
    account: Flags.string({char: 'a', description: 'Account the token belongs to.', required: true, helpValue: 'NAME'}),
    data: Flags.string({description: 'The server\'s data folder [default: <kvcloud data folder>/server].', env: 'KVCLOUD_SERVER_DATA', helpValue: 'DIR'}),
  }

  public async run(): Promise<CreatedToken> {
    const registry = AccountRegistry.open(this.flags.data ?? defaultServerDataDir())
    try {
      const created = registry.createToken(this.flags.account)
      this.log(created.token)
      this.note(
        `Created token ${created.id} for ${created.accountCreated ? 'the new ' : ''}account "${created.account}". ` +
          'Copy it now: it is not shown again.',
      )
      this.note('Log in with: kvcloud login --url SERVER_URL --token TOKEN')
      return created
    } finally {
      registry.close()
    }
  }
}
