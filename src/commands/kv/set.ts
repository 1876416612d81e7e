import {Args, Flags} from '@oclif/core'
import {describeTarget} from '../../lib/backend.js'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {setPairs} from '../../lib/cli/pair-files.js'
import {targetFlags} from '../../lib/cli/target-flags.js'

export interface KvSetResult {
  keys: string[]
}

export default class KvSet extends BaseCommand<typeof KvSet> {
  static override summary = 'Set key value pairs in a key value store.'
  static override description =
    'Each pair is KEY=VALUE, split on the first "="; all pairs are written together or not at all. ' +
    'To store bytes exactly as they are (binary data, a value with newlines, a key containing "="), give one KEY and --file PATH, ' +
    'or --file - to read the value from stdin. With --counter each VALUE is a whole number, written as a Spin counter ' +
    '(an 8-byte little-endian i64, the only value Spin\'s increment accepts). Prints nothing on success.'

  static override examples = [
    '<%= config.bin %> <%= command.id %> --store my-store greeting=hello count=1',
    '<%= config.bin %> <%= command.id %> --label default --app my-app greeting=hello',
    '<%= config.bin %> <%= command.id %> --store my-store logo --file ./logo.png',
    'cat config.json | <%= config.bin %> <%= command.id %> --store my-store config --file -',
    '<%= config.bin %> <%= command.id %> --store my-store visits=0 --counter',
  ]

  static override strict = false

  static override args = {
    pairs: Args.string({description: 'KEY=VALUE pairs, or a single KEY with --file.', required: true}),
  }

  static override flags = {
    ...targetFlags,
    file: Flags.string({
      char: 'f',
      description: 'Take the value of the single KEY argument from this file, byte for byte ("-" reads stdin).',
      helpValue: 'PATH',
    }),
    counter: Flags.boolean({
      description: 'Write each VALUE as a Spin counter: a whole number stored as an 8-byte little-endian i64.',
      exclusive: ['file'],
    }),
  }

  public async run(): Promise<KvSetResult> {
    const {argv} = await this.parse(KvSet)
    const {target, pairs} = await setPairs(() => this.backend(), {...this.flags, args: argv as string[]})
    if (this.flags.verbose) this.logToStderr(`Set ${pairs.length === 1 ? '1 key' : `${pairs.length} keys`} in ${describeTarget(target)}`)
    return {keys: pairs.map((pair) => pair.key)}
  }
}
