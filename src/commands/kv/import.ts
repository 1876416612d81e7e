import {Args, Flags} from '@oclif/core'
import {open} from 'node:fs/promises'
import type {Readable} from 'node:stream'
import {BaseCommand} from '../../base-command.js'
import {describeTarget, type Pair, type StoreTarget} from '../../lib/backend.js'
import {UserConfig} from '../../lib/config.js'
import {InvalidInputError, NotFoundError, UnavailableError} from '../../lib/errors.js'
import {formatPairs, importProgressLine, ProgressLine} from '../../lib/render/progress.js'
import {readPairs} from '../../lib/transfer/import-reader.js'
import {isSqliteFile, readSpinStoreFile} from '../../lib/transfer/spin-store-file.js'
import {STORED_DATA_LIMITS, validateLabel, widerLimits} from '../../lib/validation.js'
import {targetFlags, toStoreTarget} from '../../target-flags.js'
import {commandLine} from '../../lib/cli-name.js'

export interface KvImportResult {
  count: number
}

export default class KvImport extends BaseCommand<typeof KvImport> {
  static override summary = 'Import key value pairs from a JSON array, NDJSON, or a Spin store file.'
  static override description =
    'Reads entries {"key": "...", "value": "..."}, with "base64": true when the value is base64-encoded bytes: ' +
    'either one JSON array of them (the format of wrangler\'s bulk put) or NDJSON, one per line; both are streamed, so memory stays flat. ' +
    'The format is told by the first character. Every entry is checked, and the import is all or nothing: ' +
    'a bad entry (named by its line or index) leaves the store as it was. Existing keys are overwritten. ' +
    '"kv export" writes this format. ' +
    'A SQLite file in Spin\'s own format (e.g. the .spin/sqlite_key_value.db that spin up keeps) is imported too: ' +
    'the pairs of one label, "default" unless --from-label names another, all or nothing, byte for byte.'

  static override examples = [
    '<%= config.bin %> <%= command.id %> --store my-store data.json',
    '<%= config.bin %> <%= command.id %> --store my-store data.ndjson',
    '<%= config.bin %> kv export --store old-store --format ndjson | <%= config.bin %> <%= command.id %> --store new-store -',
    '<%= config.bin %> <%= command.id %> --store my-store .spin/sqlite_key_value.db',
  ]

  static override args = {
    file: Args.string({description: 'File to read, or "-" for stdin.', required: true}),
  }

  static override flags = {
    ...targetFlags,
    'from-label': Flags.string({description: 'With a Spin store file: the label whose pairs to import.', default: 'default', defaultHelp: 'default'}),
  }

  public async run(): Promise<KvImportResult> {
    const target = toStoreTarget(this.flags)
    const {file} = this.args
    if (file !== '-' && isSqliteFile(file)) return this.importSpinStoreFile(target, file)
    if (this.flags['from-label'] !== 'default') {
      throw new InvalidInputError(`--from-label reads a Spin store file, and "${file}" is not a SQLite file. Nothing was imported.`)
    }
    const source = file === '-' ? 'stdin' : file
    const {stream, size} = await openInput(file)
    const config = await UserConfig.open()
    // Limits guard new writes, not round trips: an export of what Spin wrote imports back.
    const reader = readPairs(stream, {source, limits: widerLimits(config.limits, STORED_DATA_LIMITS)})
    const progress = process.stderr.isTTY && !this.jsonEnabled() ? new ProgressLine(process.stderr) : undefined
    let count = 0
    async function* counted(): AsyncGenerator<Pair[]> {
      for await (const batch of reader.batches) {
        yield batch
        count += batch.length
        progress?.update(importProgressLine(count, reader.bytesRead, size))
      }
      // Everything is read; the backend now applies it in one transaction.
      progress?.update(`Saving ${formatPairs(count)}…`, true)
    }
    try {
      const backend = await this.backend()
      const result = await backend.importPairs(target, counted())
      count = result.count
    } finally {
      progress?.clear()
      stream.destroy()
    }
    this.logToStderr(`Imported ${formatPairs(count)} into ${describeTarget(target)}`)
    return {count}
  }

  private async importSpinStoreFile(target: StoreTarget, file: string): Promise<KvImportResult> {
    const label = this.flags['from-label']
    validateLabel(label)
    const batches = readSpinStoreFile(file, label)
    const backend = await this.backend()
    const {count} = await backend.importPairs(target, batches)
    this.logToStderr(`Imported ${count === 1 ? '1 pair' : `${count} pairs`} from the "${label}" label of ${file} into ${describeTarget(target)}`)
    return {count}
  }
}

async function openInput(file: string): Promise<{stream: Readable; size?: number}> {
  if (file === '-') {
    if (process.stdin.isTTY) {
      throw new InvalidInputError('"-" reads the pairs from stdin, but stdin is a terminal.', [
        `Pipe the data in, e.g. "${commandLine('kv import -s STORE - < data.ndjson')}", or give the file path instead of "-".`,
      ])
    }
    return {stream: process.stdin}
  }
  try {
    const handle = await open(file, 'r')
    const stat = await handle.stat()
    if (stat.isDirectory()) {
      await handle.close()
      throw Object.assign(new Error('is a folder'), {code: 'EISDIR'})
    }
    // A pipe or process substitution has no size: the progress line then counts pairs only.
    return {stream: handle.createReadStream({highWaterMark: 1024 * 1024}), size: stat.isFile() ? stat.size : undefined}
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new NotFoundError(`No such file "${file}". Nothing was imported.`)
    if (code === 'EISDIR') throw new InvalidInputError(`"${file}" is a folder, not a file. Nothing was imported.`)
    throw new UnavailableError(`Cannot read "${file}": ${(error as Error).message}. Nothing was imported.`)
  }
}
