import type {StoreInfo} from '../../backend.js'
import {newTable} from './table.js'

/** One store in `kv list --format json`: the incumbent's shape, kept for scripts written for it. */
export interface StoreListEntry {
  key_value_store: string
  links: Array<{label: string; app: string}>
}

export type GroupBy = 'app' | 'store'

export interface StoreListView {
  /** Text for stdout (tables), empty when there is nothing to show. */
  text: string
  /** Why nothing is shown, for stderr. */
  emptyMessage?: string
}

export function toStoreListJson(stores: StoreInfo[]): StoreListEntry[] {
  return stores.map((store) => ({
    key_value_store: store.name,
    links: store.links.map((link) => ({label: link.label, app: link.app})),
  }))
}

/**
 * The human view of `kv list`. `stores` is what the backend returned (already narrowed to
 * stores linked to `app` when that filter is given).
 */
export function renderStoreList(stores: StoreInfo[], options: {groupBy: GroupBy; app?: string}): StoreListView {
  if (options.app !== undefined && !stores.some((store) => store.links.some((link) => link.app === options.app))) {
    return {text: '', emptyMessage: `No key value store linked to an app named '${options.app}'`}
  }
  if (stores.length === 0) return {text: '', emptyMessage: 'No key value stores found'}
  return {text: options.groupBy === 'store' ? renderByStore(stores) : renderByApp(stores, options.app)}
}

function renderByApp(stores: StoreInfo[], app: string | undefined): string {
  const rows: Array<[string, string, string]> = []
  for (const store of stores) {
    for (const link of store.links) {
      if (app === undefined || link.app === app) rows.push([link.app, link.label, store.name])
    }
  }
  rows.sort((a, b) => compare(a[0], b[0]) || compare(a[1], b[1]) || compare(a[2], b[2]))
  const parts: string[] = []
  if (rows.length > 0) {
    const table = newTable(['App', 'Label', 'Key Value Store'])
    table.push(...rows)
    parts.push(table.toString())
  }
  const unlinked = stores.filter((store) => store.links.length === 0)
  if (app === undefined && unlinked.length > 0) {
    if (parts.length > 0) parts.push('')
    parts.push('Key value stores not linked to any app')
    const table = newTable(['Key Value Store'])
    table.push(...unlinked.map((store) => [store.name]))
    parts.push(table.toString())
  }
  return parts.join('\n')
}

function renderByStore(stores: StoreInfo[]): string {
  const table = newTable(['Key Value Store', 'Links'])
  for (const store of stores) {
    const links = store.links.map((link) => `${link.app}:${link.label}`).join(', ')
    table.push([store.name, links || '-'])
  }
  return table.toString()
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
