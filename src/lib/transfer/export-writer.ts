import type {Pair} from '../backend.js'
import {formatEntry} from './entry.js'
import type {TransferFormat} from './import-reader.js'

export interface ExportProgress {
  count: number
}

/** Entries per chunk handed to the output stream: fewer, larger writes. */
const LINES_PER_CHUNK = 1000

/**
 * Turns pairs into the text `kv import` reads: a JSON array with one entry per line, or NDJSON.
 * Yields chunks of text as pairs arrive, so a store of any size streams through; `progress.count`
 * says how many pairs have been formatted. Nothing is yielded before the source has produced its
 * first result, so a source that fails at once (no such store) leaves the output untouched.
 */
export async function* formatExport(pairs: AsyncIterable<Pair>, format: TransferFormat, progress: ExportProgress = {count: 0}): AsyncGenerator<string> {
  const json = format === 'json'
  const iterator = pairs[Symbol.asyncIterator]()
  let next = await iterator.next()
  let lines: string[] = []
  let separator = ''
  try {
    if (json) yield next.done ? '[]\n' : '[\n'
    while (!next.done) {
      lines.push(formatEntry(next.value))
      progress.count++
      if (lines.length >= LINES_PER_CHUNK) {
        yield chunkOf(lines, json, separator)
        separator = ',\n'
        lines = []
      }
      next = await iterator.next()
    }
  } finally {
    // The reader stopped early (closed pipe, failed write): let the source release what it holds.
    if (!next.done) await iterator.return?.()
  }
  if (lines.length > 0) yield chunkOf(lines, json, separator)
  if (json && progress.count > 0) yield '\n]\n'
}

function chunkOf(lines: string[], json: boolean, separator: string): string {
  return json ? separator + lines.join(',\n') : lines.join('\n') + '\n'
}
