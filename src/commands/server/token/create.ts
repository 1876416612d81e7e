import {Flags} from '@oclif/core'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {BaseCommand} from '../../../lib/cli/base-command.js'
import type {CreatedToken} from '../../../lib/sqlite/accounts.js'
import {openServerAccounts} from '../../../lib/cli/backend-choice.js'
import {defaultServerDataDir} from '../../../lib/server/run.js'
import {commandLine} from '../../../lib/cli-name.js'

export default class ServerTokenCreate extends BaseCommand<typeof ServerTokenCreate> {
  static override summary = 'Create an API token for an account, creating the account if needed.'
  static override description =
    'Prints the token on stdout, once: only its hash is kept. Give it to the account\'s users for "<%= config.bin %> login". ' +
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
    const dataDir = this.flags.data ?? defaultServerDataDir()
    const registry = await openServerAccounts(dataDir)
    try {
      const created = registry.createToken(this.flags.account)
      this.log(created.token)
      this.note(
        `Created token ${created.id} for ${created.accountCreated ? 'the new ' : ''}account "${created.account}". ` +
          'Copy it now: it is not shown again.',
      )
      const url = runningServerUrl(dataDir)
      this.note(
        url
          ? `Users log in with: ${commandLine(`login --url ${url} --token TOKEN`)}, where TOKEN is the line printed above on stdout (the server on this folder listens there; from another machine use the address they reach it at).`
          : `Users log in with: ${commandLine('login --url URL --token TOKEN')}, where TOKEN is the line printed above on stdout and URL is the address "${commandLine('server start')}" printed (http://127.0.0.1:3000 by default).`,
      )
      return created
    } finally {
      registry.close()
    }
  }
}

/** The address the server on `dataDir` said it listens on, while it runs (see server start). */
function runningServerUrl(dataDir: string): string | undefined {
  try {
    return readFileSync(join(dataDir, 'server.url'), 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}
