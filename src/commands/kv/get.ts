import {Args} from '@oclif/core'
import {BaseCommand} from '../../base-command.js'
import {toBuffer, valueForStdout} from '../../lib/bytes.js'
import {toEntry, type TransferEntry} from '../../lib/transfer/entry.js'
import {targetFlags, toStoreTarget} from '../../target-flags.js'

/** The shape `kv export` writes and `kv import` reads: text, or base64 with "base64": true. */
export type KvGetResult = TransferEntry

// Hot path: keep imports to what is needed here (no tables, prompts, HTTP or config parsing).
export default class KvGet extends BaseCommand<typeof KvGet> {
  static override summary = 'Print the value of a key.'
  static override description =
    'Writes the value to stdout exactly as stored, byte for byte; on a terminal, a newline follows a value that does not end with one. ' +
    'With --json: {"key", "value"}, the value as text, or base64-encoded with "base64": true when the bytes are not UTF-8 (the entry kv export writes). A missing key exits with code 3.'

  static override examples = [
    '<%= config.bin %> <%= command.id %> --store my-store greeting',
    '<%= config.bin %> <%= command.id %> --label default --app my-app greeting',
    '<%= config.bin %> <%= command.id %> --store my-store logo > logo.png',
  ]

  static override args = {
    key: Args.string({description: 'The key to read.', required: true}),
  }

  static override flags = {...targetFlags}

  public async run(): Promise<KvGetResult | undefined> {
    const backend = await this.backend()
    const value = await backend.getValue(toStoreTarget(this.flags), this.args.key)
    const bytes = toBuffer(value)
    if (this.jsonEnabled()) {
      return toEntry({key: this.args.key, value: bytes})
    }
    const output = valueForStdout(bytes, process.stdout.isTTY === true)
    await new Promise<void>((resolve, reject) => process.stdout.write(output, (error) => (error ? reject(error) : resolve())))
    return undefined
  }
}
