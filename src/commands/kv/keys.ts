import {Flags} from '@oclif/core'
import {BaseCommand} from '../../lib/cli/base-command.js'
import type {Backend, StoreTarget} from '../../lib/backend.js'
import {writeChunks} from '../../lib/transfer/sink.js'
import {targetFlags, toStoreTarget} from '../../lib/cli/target-flags.js'

export interface KvKeysResult {
  keys: string[]
  /** Pass to --cursor for the next page; absent when there are no more keys. */
  next?: string
}

/** Keys asked of the backend at a time: the listing streams, whatever the store's size. */
const PAGE_SIZE = 1000
/** A --json answer is one document held in memory, so it is one page unless --limit says otherwise. */
const JSON_PAGE_SIZE = 1000

export default class KvKeys extends BaseCommand<typeof KvKeys> {
  static override summary = 'List the keys of a key value store, one per line.'
  static override description =
    'Keys come in byte order of their UTF-8 encoding, streamed page by page, so a store of millions of keys lists at once. ' +
    'With --limit, at most N keys are listed and the cursor of the next page is printed on stderr; pass it to --cursor to continue. ' +
    `--json returns one page, {"keys": [...], "next": CURSOR} (next absent on the last page), of --limit keys (default ${JSON_PAGE_SIZE}).`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --store my-store',
    '<%= config.bin %> <%= command.id %> --store my-store --prefix user: --limit 100',
    '<%= config.bin %> <%= command.id %> --store my-store --limit 100 --cursor CURSOR --json',
  ]

  static override flags = {
    ...targetFlags,
    prefix: Flags.string({description: 'Only keys that start with this text.', helpValue: 'TEXT'}),
    limit: Flags.integer({description: `List at most this many keys (with --json, default ${JSON_PAGE_SIZE}).`, min: 1, helpValue: 'N'}),
    cursor: Flags.string({description: 'Continue a listing where the previous page ended.', helpValue: 'CURSOR'}),
  }

  public async run(): Promise<KvKeysResult | undefined> {
    const backend = await this.backend()
    const target = toStoreTarget(this.flags)
    const state: {next?: string} = {}
    const limit = this.flags.limit ?? (this.jsonEnabled() ? JSON_PAGE_SIZE : undefined)
    const pages = keyPages(backend, target, {prefix: this.flags.prefix, cursor: this.flags.cursor, limit}, state)
    if (this.jsonEnabled()) {
      const keys: string[] = []
      for await (const page of pages) for (const key of page) keys.push(key)
      return state.next === undefined ? {keys} : {keys, next: state.next}
    }
    const complete = await writeChunks(process.stdout, lines(pages))
    if (complete && state.next !== undefined) {
      this.logToStderr(`More keys follow. To list them, add: --cursor ${state.next}`)
    }
    return undefined
  }
}

/** Pages of keys up to `limit`; `state.next` ends as the cursor after the last key listed. */
async function* keyPages(
  backend: Backend,
  target: StoreTarget,
  options: {prefix?: string; cursor?: string; limit?: number},
  state: {next?: string},
): AsyncGenerator<string[]> {
  let remaining = options.limit ?? Number.POSITIVE_INFINITY
  let cursor = options.cursor
  while (remaining > 0) {
    const page = await backend.listKeys(target, {prefix: options.prefix, cursor, limit: Math.min(PAGE_SIZE, remaining)})
    const items = page.items.length > remaining ? page.items.slice(0, remaining) : page.items
    remaining -= items.length
    cursor = page.next
    state.next = cursor
    if (items.length > 0) yield items
    if (cursor === undefined) return
  }
}

async function* lines(pages: AsyncIterable<string[]>): AsyncGenerator<string> {
  for await (const page of pages) yield page.join('\n') + '\n'
}
