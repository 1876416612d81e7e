import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'

/**
 * The process's limit on open file descriptors (the soft RLIMIT_NOFILE), as read at start:
 * undefined when unlimited or unknown. Node has no call for it; Linux shows it in
 * /proc/self/limits, and elsewhere a shell started from this process inherits it.
 */
export function readDescriptorLimit(): number | undefined {
  if (process.platform === 'linux') {
    try {
      const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(readFileSync('/proc/self/limits', 'utf8'))
      if (match) return match[1] === 'unlimited' ? undefined : Number(match[1])
    } catch {
      // No /proc: ask a shell below.
    }
  }
  if (process.platform === 'win32') return undefined
  try {
    const answer = execFileSync('sh', ['-c', 'ulimit -n'], {encoding: 'utf8', timeout: 5000}).trim()
    const limit = Number(answer)
    return Number.isInteger(limit) && limit > 0 ? limit : undefined
  } catch {
    return undefined
  }
}

/** Descriptors kept for what is not a connection or a store: stdio, server.db, the event loop, imports' temporary files. */
export const RESERVED_DESCRIPTORS = 64
/** However high the limit, open store files stay at about a thousand: each holds a page cache too. */
export const MAX_OPEN_FILE_DESCRIPTORS = 2048

export interface DescriptorPlan {
  maxConnections: number
  /** Descriptors that account catalogs and store files may hold together. */
  openFileDescriptors: number
}

/**
 * Splits the descriptors the process may open between connections (each one descriptor) and open
 * files. Connections get at most half of what is not reserved, so a limit too low for
 * --max-connections lowers it rather than leaving no room for the stores.
 */
export function planDescriptors(limit: number | undefined, maxConnections: number): DescriptorPlan {
  if (limit === undefined) return {maxConnections, openFileDescriptors: MAX_OPEN_FILE_DESCRIPTORS}
  const spare = Math.max(2, limit - RESERVED_DESCRIPTORS)
  const connections = Math.min(maxConnections, Math.max(1, Math.floor(spare / 2)))
  return {maxConnections: connections, openFileDescriptors: Math.max(1, Math.min(MAX_OPEN_FILE_DESCRIPTORS, spare - connections))}
}
