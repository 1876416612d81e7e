import {Args} from '@oclif/core'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {validateStoreName} from '../../lib/validation.js'

export interface KvCreateResult {
  name: string
  createdAt: string
}

export default class KvCreate extends BaseCommand<typeof KvCreate> {
  static override summary = 'Create a key value store.'
  static override description =
    'A store is an account-level collection of keys and values. Apps reach it through a label once it is linked to them.\n' +
    'A name is 1 to 64 characters of letters, digits, "-" and "_", starting with a letter or digit.'

  static override examples = ['<%= config.bin %> <%= command.id %> my-store']

  static override args = {
    name: Args.string({description: 'Name of the new key value store.', required: true}),
  }

  public async run(): Promise<KvCreateResult> {
    validateStoreName(this.args.name)
    const backend = await this.backend()
    const store = await backend.createStore(this.args.name)
    this.log(`Key value store "${store.name}" created`)
    return {name: store.name, createdAt: store.createdAt}
  }
}
