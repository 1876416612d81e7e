import {Flags} from '@oclif/core'
import {BaseCommand} from '../../../lib/cli/base-command.js'
import {newTable} from '../../../lib/cli/render/table.js'
import type {TokenInfo} from '../../../lib/sqlite/accounts.js'
import {openServerAccounts, serverAccountsExist} from '../../../lib/cli/backend-choice.js'
import {defaultServerDataDir} from '../../../lib/server/run.js'

export default class ServerTokenList extends BaseCommand<typeof ServerTokenList> {
  static override summary = 'List API tokens: ids, accounts, when made and revoked (never the tokens themselves).'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --account team-a --json']

  static override flags = {
    account: Flags.string({char: 'a', description: 'Only this account\'s tokens.', helpValue: 'NAME'}),
    data: Flags.string({description: 'The server\'s data folder [default: <kvcloud data folder>/server].', env: 'KVCLOUD_SERVER_DATA', helpValue: 'DIR'}),
  }

  public async run(): Promise<TokenInfo[]> {
    const dataDir = this.flags.data ?? defaultServerDataDir()
    let tokens: TokenInfo[] = []
    // Listing must not create a server database where there is none.
    if ((await serverAccountsExist(dataDir))) {
      const registry = await openServerAccounts(dataDir)
      try {
        tokens = registry.listTokens({account: this.flags.account})
      } finally {
        registry.close()
      }
    }
    if (this.jsonEnabled()) return tokens
    if (tokens.length === 0) {
      this.logToStderr(this.flags.account ? `No tokens for account "${this.flags.account}"` : `No tokens in ${dataDir}`)
      return tokens
    }
    const table = newTable(['ID', 'Account', 'Created', 'Revoked'])
    table.push(...tokens.map((t) => [t.id, t.account, t.createdAt, t.revokedAt ?? '-']))
    this.log(table.toString())
    return tokens
  }
}
