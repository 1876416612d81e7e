import {Args, Flags} from '@oclif/core'
import {readFile} from 'node:fs/promises'
import {BaseCommand} from '../../base-command.js'
import {describeTarget, type Pair} from '../../lib/backend.js'
import {InvalidInputError, NotFoundError, UnavailableError} from '../../lib/errors.js'
import {encodeCounter} from '../../lib/bytes.js'
import {parsePairArgs} from '../../lib/transfer/pair-args.js'
import {targetFlags, toStoreTarget} from '../../target-flags.js'
import {commandLine} from '../../lib/cli-name.js'

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
    const args = argv as string[]
    let pairs = this.flags.file === undefined ? parsePairArgs(args) : [await this.pairFromFile(args, this.flags.file)]
    if (this.flags.counter) pairs = pairs.map(({key, value}) => ({key, value: encodeCounter(parseCounter(key, Buffer.from(value).toString('utf8')))}))
    const target = toStoreTarget(this.flags)
    const backend = await this.backend()
    await backend.setValues(target, pairs)
    if (this.flags.verbose) this.logToStderr(`Set ${pairs.length === 1 ? '1 key' : `${pairs.length} keys`} in ${describeTarget(target)}`)
    return {keys: pairs.map((pair) => pair.key)}
  }

  private async pairFromFile(args: string[], file: string): Promise<Pair> {
    if (args.length !== 1) {
      throw new InvalidInputError(`--file takes the value of exactly one key, but ${args.length} arguments were given. Nothing was written.`, [
        'Give a single KEY with --file PATH, or KEY=VALUE pairs without --file.',
      ])
    }
    const key = args[0] as string
    if (key === '') throw new InvalidInputError('The key is empty. Nothing was written.')
    return {key, value: file === '-' ? await readStdin() : await readValueFile(file)}
  }
}

const I64_MIN = -(2n ** 63n)
const I64_MAX = 2n ** 63n - 1n

function parseCounter(key: string, text: string): bigint {
  const number = /^-?\d+$/.test(text) ? BigInt(text) : undefined
  if (number === undefined || number < I64_MIN || number > I64_MAX) {
    throw new InvalidInputError(`--counter needs a whole number from ${I64_MIN} to ${I64_MAX}; key "${key}" has "${text}". Nothing was written.`)
  }
  return number
}

async function readValueFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new NotFoundError(`No such file "${file}". Nothing was written.`)
    throw new UnavailableError(`Cannot read "${file}": ${(error as Error).message}. Nothing was written.`)
  }
}

async function readStdin(): Promise<Buffer> {
  if (process.stdin.isTTY) {
    throw new InvalidInputError('--file - reads the value from stdin, but stdin is a terminal. Nothing was written.', [
      `Pipe the value in, e.g. "cat value.bin | ${commandLine('kv set -s STORE KEY --file -')}", or give --file PATH.`,
    ])
  }
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}
