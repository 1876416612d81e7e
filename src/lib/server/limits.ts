import type {Limits} from '../backend.js'
import {DEFAULT_LIMITS} from '../validation.js'

/** What one request may carry, and what one client may hold. Everything is checked before any work is done. */
export interface ServerLimits extends Limits {
  /** Largest JSON body: a batch of pairs, a deploy with its seed. */
  maxRequestBytes: number
  /** Largest streamed NDJSON import. */
  maxImportBytes: number
  /** Open connections at once; further ones are closed as soon as they are accepted. */
  maxConnections: number
  /** A connection with no traffic either way for this long is closed (a socket that never sends a byte included). */
  idleTimeoutMs: number
  /** The whole request, body included, must arrive within this time (408 otherwise). */
  requestTimeoutMs: number
}

const MiB = 1024 * 1024

export const DEFAULT_MAX_CONNECTIONS = 1000
export const DEFAULT_IDLE_TIMEOUT_MS = 120_000
/** As long as HttpBackend waits for an import's answer: a slower upload fails on both ends alike. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 600_000

export function resolveServerLimits(partial: Partial<ServerLimits> = {}): ServerLimits {
  const limits: Limits = {
    maxKeyBytes: partial.maxKeyBytes ?? DEFAULT_LIMITS.maxKeyBytes,
    maxValueBytes: partial.maxValueBytes ?? DEFAULT_LIMITS.maxValueBytes,
  }
  // A JSON body must at least fit one pair with the largest value in base64.
  const onePair = Math.ceil(limits.maxValueBytes / 3) * 4 + 6 * limits.maxKeyBytes + 4096
  return {
    ...limits,
    maxRequestBytes: Math.max(partial.maxRequestBytes ?? 16 * MiB, onePair),
    maxImportBytes: Math.max(partial.maxImportBytes ?? 1024 * MiB, onePair),
    maxConnections: partial.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    idleTimeoutMs: partial.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    requestTimeoutMs: partial.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  }
}
