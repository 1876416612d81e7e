import {Args, Flags} from '@oclif/core'
import {describeTarget} from '../../lib/backend.js'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {importPairsFile} from '../../lib/cli/pair-files.js'
import {formatPairs} from '../../lib/cli/render/progress.js'
import {targetFlags, toStoreTarget} from '../../lib/cli/target-flags.js'

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
    const {count, spinLabel} = await importPairsFile(() => this.backend(), target, file, {
      fromLabel: this.flags['from-label'],
      progress: process.stderr.isTTY && !this.jsonEnabled() ? process.stderr : undefined,
    })
    this.logToStderr(
      spinLabel === undefined
        ? `Imported ${formatPairs(count)} into ${describeTarget(target)}`
        : `Imported ${count === 1 ? '1 pair' : `${count} pairs`} from the "${spinLabel}" label of ${file} into ${describeTarget(target)}`,
    )
    return {count}
  }
}
