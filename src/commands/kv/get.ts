import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {COUNTER_BYTES, decodeCounter, toBuffer, valueForStdout} from '../../lib/bytes.js'
import {InvalidInputError} from '../../lib/errors.js'
import {toEntry, type TransferEntry} from '../../lib/transfer/entry.js'
import {targetFlags, toStoreTarget} from '../../lib/cli/target-flags.js'

/** The shape `kv export` writes and `kv import` reads: text, or base64 with "base64": true; with --counter, the number. */
export type KvGetResult = TransferEntry | {key: string; counter: number | string}

// Hot path: keep imports to what is needed here (no tables, prompts, HTTP or config parsing).
export default class KvGet extends BaseCommand<typeof KvGet> {
  static override summary = 'Print the value of a key.'
  static override description =
    'Writes the value to stdout exactly as stored, byte for byte; on a terminal, a newline follows a value that does not end with one. ' +
    'With --json: {"key", "value"}, the value as text, or base64-encoded with "base64": true when the bytes are not UTF-8 (the entry kv export writes). A missing key exits with code 3. ' +
    'A Spin counter (8 bytes, a little-endian i64, what Spin\'s increment writes) prints as its number at a terminal; --counter prints it as a number everywhere ({"key", "counter"} with --json).'

  static override examples = [
    '<%= config.bin %> <%= command.id %> --store my-store greeting',
    '<%= config.bin %> <%= command.id %> --label default --app my-app greeting',
    '<%= config.bin %> <%= command.id %> --store my-store logo > logo.png',
    '<%= config.bin %> <%= command.id %> --store my-store visits --counter',
  ]

  static override args = {
    key: Args.string({description: 'The key to read.', required: true}),
  }

  static override flags = {
    ...targetFlags,
    counter: Flags.boolean({description: 'Read the value as a Spin counter (an 8-byte little-endian i64) and print its number.'}),
  }

  public async run(): Promise<KvGetResult | undefined> {
    const backend = await this.backend()
    const value = await backend.getValue(toStoreTarget(this.flags), this.args.key)
    const bytes = toBuffer(value)
    if (this.flags.counter) {
      if (bytes.length !== COUNTER_BYTES) {
        throw new InvalidInputError(`The value of key "${this.args.key}" is ${bytes.length} bytes, not a Spin counter (8 bytes, a little-endian i64).`, [
          'Drop --counter to print it as it is.',
        ])
      }
      const number = decodeCounter(bytes)
      if (this.jsonEnabled()) return {key: this.args.key, counter: Number.isSafeInteger(Number(number)) ? Number(number) : number.toString()}
      this.log(number.toString())
      return undefined
    }
    if (this.jsonEnabled()) {
      return toEntry({key: this.args.key, value: bytes})
    }
    const output = valueForStdout(bytes, process.stdout.isTTY === true)
    await new Promise<void>((resolve, reject) => process.stdout.write(output, (error) => (error ? reject(error) : resolve())))
    return undefined
  }
}
