import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../../lib/cli/base-command.js'
import {NotFoundError} from '../../../lib/errors.js'
import {shellQuote} from '../../../lib/shell.js'
import type {TokenInfo} from '../../../lib/sqlite/accounts.js'
import {openServerAccounts, serverAccountsExist} from '../../../lib/cli/backend-choice.js'
import {defaultServerDataDir} from '../../../lib/server/run.js'
import {commandLine} from '../../../lib/cli-name.js'

export default class ServerTokenRevoke extends BaseCommand<typeof ServerTokenRevoke> {
  static override summary = 'Revoke an API token: requests that carry it get 401 from then on.'
  static override description = 'Takes effect at once, on a running server too. The account and its stores stay.'
  static override examples = ['<%= config.bin %> <%= command.id %> tok_3f9a1c2b7d4e']

  static override args = {
    id: Args.string({description: 'Token id, as "server token list" shows it.', required: true}),
  }

  static override flags = {
    data: Flags.string({description: 'The server\'s data folder [default: <kvcloud data folder>/server].', env: 'KVCLOUD_SERVER_DATA', helpValue: 'DIR'}),
  }

  public async run(): Promise<TokenInfo & {alreadyRevoked: boolean}> {
    const dataDir = this.flags.data ?? defaultServerDataDir()
    if (!(await serverAccountsExist(dataDir))) {
      throw new NotFoundError(`No token found with id "${this.args.id}": there is no kvcloud server data in ${dataDir}.`, [
        'Pass --data with the folder the server uses.',
      ])
    }
    const registry = await openServerAccounts(dataDir)
    try {
      let result
      try {
        result = registry.revokeToken(this.args.id)
      } catch (error) {
        // The hint repeats --data, so the list it points at is of the same folder.
        if (error instanceof NotFoundError && this.flags.data !== undefined) {
          throw new NotFoundError(error.message, [`Run "${commandLine(`server token list --data ${shellQuote(this.flags.data)}`)}" to see the tokens and their ids.`])
        }
        throw error
      }
      this.log(
        result.alreadyRevoked
          ? `Token ${result.id} of account "${result.account}" was already revoked (${result.revokedAt})`
          : `Token ${result.id} of account "${result.account}" revoked`,
      )
      return result
    } finally {
      registry.close()
    }
  }
}
