import {Args} from '@oclif/core'
import {refreshRuntimeConfigsOfStore} from '../../lib/spin/app-runtime-config.js'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {validateStoreName} from '../../lib/validation.js'

export interface KvRenameResult {
  name: string
  previousName: string
}

export default class KvRename extends BaseCommand<typeof KvRename> {
  static override summary = 'Rename a key value store.'
  static override description =
    'Links follow the store: apps keep their labels and see the same data. A name that is taken is refused.'

  static override examples = ['<%= config.bin %> <%= command.id %> my-store my-new-store']

  static override args = {
    name: Args.string({description: 'Current name of the key value store.', required: true}),
    new_name: Args.string({description: 'New name for the key value store.', required: true}),
  }

  public async run(): Promise<KvRenameResult> {
    const {name, new_name: newName} = this.args
    validateStoreName(newName)
    const backend = await this.backend()
    await backend.renameStore(name, newName)
    this.log(`Key value store "${name}" is now named "${newName}"`)
    // Links follow the store; the runtime configs that name it say its new name.
    await refreshRuntimeConfigsOfStore(backend, (await backend.getStore(newName)).links)
    return {name: newName, previousName: name}
  }
}
