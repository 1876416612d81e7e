import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../base-command.js'
import type {StoreLink} from '../../lib/backend.js'
import {CancelledError, InvalidInputError} from '../../lib/errors.js'
import {refreshRuntimeConfigsOfStore} from '../../lib/spin/app-runtime-config.js'
import {deleteWarning} from '../../lib/render/delete-warning.js'
import {commandLine} from '../../lib/cli-name.js'

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
    const backend = await this.backend()
    const store = await backend.getStore(name)
    if (!this.flags.yes) await this.confirm(name, store.links.length > 0 ? deleteWarning(store) : [])
    await backend.deleteStore(name)
    this.log(`Key value store "${name}" deleted`)
    for (const change of await refreshRuntimeConfigsOfStore(backend, store.links)) {
      this.note(`Updated ${change.file}: removed ${change.removed.map((label) => `"${label}"`).join(', ')}, which pointed at the deleted store.`)
    }
    return {name, links: store.links}
  }

  private async confirm(name: string, warning: string[]): Promise<void> {
    if (!this.interactive) {
      throw new InvalidInputError(`Deleting key value store "${name}" needs confirmation, and ${this.noQuestionsReason}. Nothing was deleted.`, [
        `To delete it from a script, run: ${commandLine(`kv delete ${name} --yes`)}`,
      ])
    }
    // Under --json stdout carries the result, so the question goes to stderr.
    const output = this.jsonEnabled() ? process.stderr : process.stdout
    const answer = await this.ask(
      (prompter) => prompter.typeStoreNameToDelete(name, warning),
      `Cancelled; key value store "${name}" was not deleted.`,
      {output},
    )
    if (answer !== name) {
      throw new CancelledError(`Cancelled; you typed "${answer}", not "${name}", so key value store "${name}" was not deleted.`)
    }
  }
}
