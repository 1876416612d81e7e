import {Flags} from '@oclif/core'
import {createWriteStream} from 'node:fs'
import {rename, rm} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {BaseCommand} from '../../base-command.js'
import {describeTarget} from '../../lib/backend.js'
import {InvalidInputError, UnavailableError} from '../../lib/errors.js'
import {formatPairs} from '../../lib/render/progress.js'
import {formatExport, type ExportProgress} from '../../lib/transfer/export-writer.js'
import type {TransferFormat} from '../../lib/transfer/import-reader.js'
import {writeChunks} from '../../lib/transfer/sink.js'
import {targetFlags, toStoreTarget} from '../../target-flags.js'

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
    const backend = await this.backend()
    const progress: ExportProgress = {count: 0}
    const chunks = formatExport(backend.exportPairs(target), format, progress)
    if (output === undefined) {
      // A reader that stops early (`| head`) got what it wanted: no summary claiming a full export.
      if (!(await writeChunks(process.stdout, chunks))) return {count: progress.count, format, file: '-'}
    } else {
      await writeFileAtomically(output, chunks)
    }
    const count = progress.count
    this.logToStderr(`Exported ${formatPairs(count)} from ${describeTarget(target)}${output === undefined ? '' : ` to ${output}`}`)
    return {count, format, file: output ?? '-'}
  }
}

/** Writes beside the destination and renames at the end, so a failed export leaves no partial file. */
async function writeFileAtomically(path: string, chunks: AsyncIterable<string>): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
  const stream = createWriteStream(temporary, {flags: 'wx'})
  try {
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve())
      stream.once('error', reject)
    })
    await writeChunks(stream, chunks)
    await new Promise<void>((resolve, reject) => {
      stream.once('error', reject)
      stream.end(() => resolve())
    })
    await rename(temporary, path)
  } catch (error) {
    stream.destroy()
    await rm(temporary, {force: true})
    const code = (error as NodeJS.ErrnoException).code
    if (typeof code === 'string') throw new UnavailableError(`Cannot write "${path}": ${(error as Error).message}. No file was written.`)
    throw error
  }
}
