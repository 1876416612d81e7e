import type {Limits} from '../backend.js'
import {DEFAULT_LIMITS} from '../validation.js'

/** What one request may carry. Everything is checked before any work is done. */
export interface ServerLimits extends Limits {
  /** Largest JSON body: a batch of pairs, a deploy with its seed. */
  maxRequestBytes: number
  /** Largest streamed NDJSON import. */
  maxImportBytes: number
}

const MiB = 1024 * 1024

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
  }
}
