import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../lib/cli/base-command.js'
import type {StoreLink} from '../../lib/backend.js'
import {CancelledError} from '../../lib/errors.js'
import {deleteStore} from '../../lib/cli/delete.js'
import {deleteWarning} from '../../lib/cli/render/delete-warning.js'
import {typeStoreNameToDelete} from '../../lib/cli/questions/delete.js'

export interface KvDeleteResult {
  name: string
  /** The links removed along with the store. */
  links: StoreLink[]
}

export default class KvDelete extends BaseCommand<typeof KvDelete> {
  static override summary = 'Delete a key value store, its data and its links.'
  static override description =
    'Asks you to type the store name to confirm. Without a terminal (scripts, CI) pass --yes; the command never waits for an answer nobody can give.'

  static override examples = ['<%= config.bin %> <%= command.id %> my-store', '<%= config.bin %> <%= command.id %> my-store --yes']

  static override args = {
    name: Args.string({description: 'Name of the key value store to delete.', required: true}),
  }

  static override flags = {
    yes: Flags.boolean({char: 'y', description: 'Delete without asking for confirmation.'}),
  }

  public async run(): Promise<KvDeleteResult> {
    const {name} = this.args
    const {store, runtimeConfigs} = await deleteStore(await this.backend(), name, {
      confirm: async (found) => {
        if (!this.flags.yes) await this.confirm(name, found.links.length > 0 ? deleteWarning(found) : [])
      },
      deleted: () => this.log(`Key value store "${name}" deleted`),
    })
    for (const change of runtimeConfigs) {
      this.note(`Updated ${change.file}: removed ${change.removed.map((label) => `"${label}"`).join(', ')}, which pointed at the deleted store.`)
    }
    return {name, links: store.links}
  }

  private async confirm(name: string, warning: string[]): Promise<void> {
    // Under --json stdout carries the result, so the question goes to stderr.
    const output = this.jsonEnabled() ? process.stderr : process.stdout
    const answer = await this.confirmOrFail(
      {action: `Deleting key value store "${name}"`, unchanged: 'Nothing was deleted.', goal: 'delete it', yesCommand: `kv delete ${name} --yes`},
      (prompter) => typeStoreNameToDelete(prompter, name, warning),
      `Cancelled; key value store "${name}" was not deleted.`,
      {output},
    )
    if (answer !== name) {
      throw new CancelledError(`Cancelled; you typed "${answer}", not "${name}", so key value store "${name}" was not deleted.`)
    }
  }
}
