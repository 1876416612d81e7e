import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../lib/cli/base-command.js'
import type {AppLink} from '../../lib/backend.js'
import {deleteApp} from '../../lib/cli/delete.js'
import {CancelledError} from '../../lib/errors.js'
import {confirmAppDelete} from '../../lib/cli/questions/delete.js'

export interface AppsDeleteResult {
  name: string
  /** The links removed with the app; their stores and data are kept. */
  links: AppLink[]
}

export default class AppsDelete extends BaseCommand<typeof AppsDelete> {
  static override summary = 'Delete an app and its links; its key value stores and their data are kept.'
  static override description =
    'Asks for confirmation on a terminal. Without one (scripts, CI) pass --yes; the command never waits for an answer nobody can give.'

  static override examples = ['<%= config.bin %> <%= command.id %> my-app', '<%= config.bin %> <%= command.id %> my-app --yes']

  static override args = {
    name: Args.string({description: 'Name of the app to delete.', required: true}),
  }

  static override flags = {
    yes: Flags.boolean({char: 'y', description: 'Delete without asking for confirmation.'}),
  }

  public async run(): Promise<AppsDeleteResult> {
    const {name} = this.args
    const {app, runtimeConfig: change} = await deleteApp(await this.backend(), name, {
      confirm: async (found) => {
        if (!this.flags.yes) await this.confirm(name, found.links.length)
      },
      deleted: () => this.log(`App "${name}" deleted. Its key value stores and their data are kept.`),
    })
    if (change?.changed) this.note(`Updated ${change.file}: removed the tables kvcloud wrote for ${name}.`)
    return {name, links: app.links}
  }

  private async confirm(name: string, linkCount: number): Promise<void> {
    const confirmed = await this.confirmOrFail(
      {action: `Deleting app "${name}"`, unchanged: 'Nothing was deleted.', goal: 'delete it', yesCommand: `apps delete ${name} --yes`},
      (prompter) => confirmAppDelete(prompter, name, linkCount),
      `Cancelled; app "${name}" was not deleted.`,
    )
    if (!confirmed) throw new CancelledError(`Cancelled; app "${name}" was not deleted.`)
  }
}
