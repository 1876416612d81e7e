// What `kv import`, `kv export` and `kv set` do with files and stdin, so each command is its
// flags, one call here, and its message.

import {createWriteStream} from 'node:fs'
import {open, readFile, rename, rm} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import type {Readable} from 'node:stream'
import type {Backend, Pair, StoreTarget} from '../backend.js'
import {encodeCounter} from '../bytes.js'
import {commandLine} from '../cli-name.js'
import {InvalidInputError, NotFoundError, UnavailableError} from '../errors.js'
import {formatExport, type ExportProgress} from '../transfer/export-writer.js'
import {readPairs, type TransferFormat} from '../transfer/import-reader.js'
import {parsePairArgs} from '../transfer/pair-args.js'
import {writeChunks} from '../transfer/sink.js'
import {isSqliteFile, readSpinStoreFile} from '../transfer/spin-store-file.js'
import {STORED_DATA_LIMITS, validateLabel, widerLimits} from '../validation.js'
import {UserConfig} from './config.js'
import {formatPairs, importProgressLine, ProgressLine} from './render/progress.js'
import {toStoreTarget, type TargetFlagValues} from './target-flags.js'

export interface ImportFileOutcome {
  count: number
  /** Set when the file was a Spin store file: the label whose pairs were imported. */
  spinLabel?: string
}

/**
 * `kv import`: the pairs of `file` ("-" for stdin) into the target, all or nothing. A SQLite file
 * is read as a Spin store file (the pairs of `fromLabel`); anything else as a JSON array or NDJSON,
 * streamed, with a progress line on `progress` (a terminal's stderr) when given.
 */
export async function importPairsFile(
  getBackend: () => Promise<Backend>,
  target: StoreTarget,
  file: string,
  options: {fromLabel: string; progress?: NodeJS.WriteStream},
): Promise<ImportFileOutcome> {
  if (file !== '-' && isSqliteFile(file)) {
    const label = options.fromLabel
    validateLabel(label)
    const batches = readSpinStoreFile(file, label)
    const backend = await getBackend()
    const {count} = await backend.importPairs(target, batches)
    return {count, spinLabel: label}
  }
  if (options.fromLabel !== 'default') {
    throw new InvalidInputError(`--from-label reads a Spin store file, and "${file}" is not a SQLite file. Nothing was imported.`)
  }
  const source = file === '-' ? 'stdin' : file
  const {stream, size} = await openPairSource(file)
  const config = await UserConfig.open()
  // Limits guard new writes, not round trips: an export of what Spin wrote imports back.
  const reader = readPairs(stream, {source, limits: widerLimits(config.limits, STORED_DATA_LIMITS)})
  const progress = options.progress ? new ProgressLine(options.progress) : undefined
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
    const backend = await getBackend()
    const result = await backend.importPairs(target, counted())
    count = result.count
  } finally {
    progress?.clear()
    stream.destroy()
  }
  return {count}
}

async function openPairSource(file: string): Promise<{stream: Readable; size?: number}> {
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

export interface ExportOutcome {
  count: number
  /** False when stdout's reader stopped early (`| head`): it got what it wanted, but not everything. */
  complete: boolean
}

/** `kv export`: every pair of the target, to stdout, or to `output`, which appears only once complete. */
export async function exportPairsTo(backend: Backend, target: StoreTarget, format: TransferFormat, output: string | undefined): Promise<ExportOutcome> {
  const progress: ExportProgress = {count: 0}
  const chunks = formatExport(backend.exportPairs(target), format, progress)
  if (output === undefined) {
    const complete = await writeChunks(process.stdout, chunks)
    return {count: progress.count, complete}
  }
  await writeFileAtomically(output, chunks)
  return {count: progress.count, complete: true}
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

export interface SetPairsRequest extends TargetFlagValues {
  /** KEY=VALUE pairs, or a single KEY with `file`. */
  args: string[]
  /** The value of the single KEY, from this file ("-" for stdin). */
  file?: string
  /** Each VALUE is a whole number, written as a Spin counter. */
  counter: boolean
}

/** `kv set`: the pairs are read and checked before the store is named or the backend opened. */
export async function setPairs(getBackend: () => Promise<Backend>, request: SetPairsRequest): Promise<{target: StoreTarget; pairs: Pair[]}> {
  let pairs = request.file === undefined ? parsePairArgs(request.args) : [await pairFromFile(request.args, request.file)]
  if (request.counter) pairs = pairs.map(({key, value}) => ({key, value: encodeCounter(parseCounter(key, Buffer.from(value).toString('utf8')))}))
  const target = toStoreTarget(request)
  const backend = await getBackend()
  await backend.setValues(target, pairs)
  return {target, pairs}
}

async function pairFromFile(args: string[], file: string): Promise<Pair> {
  if (args.length !== 1) {
    throw new InvalidInputError(`--file takes the value of exactly one key, but ${args.length} arguments were given. Nothing was written.`, [
      'Give a single KEY with --file PATH, or KEY=VALUE pairs without --file.',
    ])
  }
  const key = args[0] as string
  if (key === '') throw new InvalidInputError('The key is empty. Nothing was written.')
  return {key, value: file === '-' ? await readStdin() : await readValueFile(file)}
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
