import {invalidCursor} from './facts.js'

export const DEFAULT_PAGE = 100
export const MAX_PAGE = 1000
/** Key listings may ask for larger pages: a key is small. */
export const MAX_KEY_PAGE = 10_000

export function pageSize(limit: number | undefined, fallback = DEFAULT_PAGE, max = MAX_PAGE): number {
  return limit === undefined ? fallback : Math.max(1, Math.min(limit, max))
}

/** Cursors are opaque to callers: the last name or key of a page, base64url. */
export function encodeCursor(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url')
}

export function decodeCursor(cursor: string | undefined): string {
  if (cursor === undefined || cursor === '') return ''
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalidCursor(cursor)
  return Buffer.from(cursor, 'base64url').toString('utf8')
}

/** One page from `limit + 1` rows read: the extra row only says that another page follows. */
export function pageOf<R, T>(rows: R[], limit: number, item: (row: R) => T, cursorOf: (row: R) => string): {items: T[]; next?: string} {
  const page = rows.slice(0, limit)
  return {items: page.map(item), next: rows.length > limit ? encodeCursor(cursorOf(page.at(-1)!)) : undefined}
}
