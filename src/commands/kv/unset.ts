import {Args} from '@oclif/core'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {describeTarget} from '../../lib/backend.js'
import {InvalidInputError} from '../../lib/errors.js'
import {targetFlags, toStoreTarget} from '../../lib/cli/target-flags.js'

export interface KvUnsetResult {
  /** The keys asked for, duplicates removed. */
  keys: string[]
  /** How many of them existed (and are now gone). */
  deleted: number
}

export default class KvUnset extends BaseCommand<typeof KvUnset> {
  static override summary = 'Delete keys from a key value store.'
  static override description =
    'All keys go in one transaction. A key that does not exist is no error; stderr says how many existed.'

  static override examples = [
    '<%= config.bin %> <%= command.id %> --store my-store greeting',
    '<%= config.bin %> <%= command.id %> --label default --app my-app session:1 session:2',
  ]

  static override strict = false

  static override args = {
    keys: Args.string({description: 'Keys to delete.', required: true}),
  }

  static override flags = {...targetFlags}

  public async run(): Promise<KvUnsetResult> {
    const {argv} = await this.parse(KvUnset)
    const keys = [...new Set(argv as string[])]
    if (keys.includes('')) throw new InvalidInputError('A key cannot be empty. Nothing was deleted.')
    const target = toStoreTarget(this.flags)
    const backend = await this.backend()
    const deleted = await backend.deleteKeys(target, keys)
    const missing = keys.length - deleted
    this.logToStderr(
      `Deleted ${deleted === 1 ? '1 key' : `${deleted} keys`} from ${describeTarget(target)}` +
        (missing > 0 ? ` (${missing === 1 ? '1 key' : `${missing} keys`} did not exist)` : ''),
    )
    return {keys, deleted}
  }
}
