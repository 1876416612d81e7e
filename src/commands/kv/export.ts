import {Flags} from '@oclif/core'
import {describeTarget} from '../../lib/backend.js'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {exportPairsTo} from '../../lib/cli/pair-files.js'
import {formatPairs} from '../../lib/cli/render/progress.js'
import {targetFlags, toStoreTarget} from '../../lib/cli/target-flags.js'
import {InvalidInputError} from '../../lib/errors.js'
import type {TransferFormat} from '../../lib/transfer/import-reader.js'

export interface KvExportResult {
  count: number
  format: TransferFormat
  file: string
}

export default class KvExport extends BaseCommand<typeof KvExport> {
  static override summary = 'Export every pair of a key value store as JSON or NDJSON.'
  static override description =
    'Writes entries {"key": "...", "value": "..."} in key order: values that are valid UTF-8 as text, any other bytes as base64 ' +
    'with "base64": true. This is exactly what "kv import" reads, so an export imported into another store copies it byte for byte. ' +
    'Writes to stdout, or with -o to a file that appears only once the export is complete. With --json, -o is required and stdout carries the summary.'

  static override examples = [
    '<%= config.bin %> <%= command.id %> --store my-store > backup.json',
    '<%= config.bin %> <%= command.id %> --store my-store --format ndjson -o backup.ndjson',
    '<%= config.bin %> <%= command.id %> --label default --app my-app -o default.json',
  ]

  static override flags = {
    ...targetFlags,
    output: Flags.string({char: 'o', description: 'Write to this file instead of stdout.', helpValue: 'FILE'}),
    format: Flags.option({description: 'JSON array, or NDJSON (one entry per line).', options: ['json', 'ndjson'] as const, default: 'json'})(),
  }

  public async run(): Promise<KvExportResult> {
    const {output, format} = this.flags
    if (this.jsonEnabled() && output === undefined) {
      throw new InvalidInputError('With --json, stdout carries the summary, so the exported data needs a file.', ['Add -o FILE.'])
    }
    const target = toStoreTarget(this.flags)
    const {count, complete} = await exportPairsTo(await this.backend(), target, format, output)
    // A reader that stops early (`| head`) got what it wanted: no summary claiming a full export.
    if (!complete) return {count, format, file: '-'}
    this.logToStderr(`Exported ${formatPairs(count)} from ${describeTarget(target)}${output === undefined ? '' : ` to ${output}`}`)
    return {count, format, file: output ?? '-'}
  }
}
