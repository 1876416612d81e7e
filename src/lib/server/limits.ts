import type {Limits} from '../backend.js'
import {maxPairLineBytes} from '../api/ndjson.js'
import {DEFAULT_LIMITS} from '../validation.js'
import {planDescriptors, readDescriptorLimit} from './descriptors.js'

/** What one request may carry, and what one client may hold. Everything is checked before any work is done. */
export interface ServerLimits extends Limits {
  /** Largest JSON body: a batch of pairs, a deploy with its seed. */
  maxRequestBytes: number
  /** Largest streamed NDJSON import. */
  maxImportBytes: number
  /**
   * Open connections at once. When full, the oldest connection without a request in progress is
   * closed to make room (see ConnectionGuard); only when every one has a request in progress is
   * a newcomer closed instead.
   */
  maxConnections: number
  /** Of those, connections that have not yet sent a valid token: a smaller budget, so a flood of them cannot push out users. */
  maxUnauthenticatedConnections: number
  /** A request's headers must all arrive within this time (408 otherwise): a client trickling them holds nothing for long. */
  headersTimeoutMs: number
  /** A connection with no traffic either way for this long is closed (a socket that never sends a byte included). */
  idleTimeoutMs: number
  /** The whole request, body included, must arrive within this time (408 otherwise). */
  requestTimeoutMs: number
  /** Bytes of pairs that all imports together may hold in memory (each takes its share before reading). */
  maxImportMemoryBytes: number
  /** How long an import waits for another into the same store (409 then), or for import memory (503 then). */
  importWaitMs: number
  /** The process's descriptor limit read at start (undefined: unlimited or unknown); the two budgets below are sized from it. */
  descriptorLimit?: number
  /** Set when the descriptor limit lowered maxConnections: what was asked. */
  maxConnectionsAsked?: number
  /** Descriptors that every account's open catalog and store files may hold together (least recently used closed first). */
  openFileDescriptors: number
  /** An account with no request for this long has its files closed. */
  accountIdleMs: number
}

const MiB = 1024 * 1024

export const DEFAULT_MAX_CONNECTIONS = 1000
export const DEFAULT_IDLE_TIMEOUT_MS = 120_000
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000
/** As long as HttpBackend waits for an import's answer: a slower upload fails on both ends alike. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 600_000
export const DEFAULT_IMPORT_MEMORY_BYTES = 256 * MiB
export const DEFAULT_IMPORT_WAIT_MS = 10_000
export const DEFAULT_ACCOUNT_IDLE_MS = 60_000
/** An import hands pairs to the store in batches of about this many bytes (keys and values). */
export const IMPORT_BATCH_BYTES = 4 * MiB
/** ... and of at most this many pairs, so that small pairs are staged in bounded steps too. */
export const IMPORT_BATCH_PAIRS = 1000

/**
 * The bytes one import may hold in memory at once, reserved for it from the server-wide budget:
 * the store holds the first batch until a second one comes, the second is being filled (each can
 * overrun by one pair), and one line of the body is being read.
 */
export function importMemoryShare(limits: Limits): number {
  return 2 * (IMPORT_BATCH_BYTES + limits.maxKeyBytes + limits.maxValueBytes) + maxPairLineBytes(limits)
}

/**
 * The limits, completed with defaults. `descriptorLimit` is the process's (read at start unless
 * given): --max-connections is lowered when the limit leaves too little room for both it and
 * the stores.
 */
export function resolveServerLimits(partial: Partial<ServerLimits> = {}, descriptorLimit = partial.descriptorLimit ?? readDescriptorLimit()): ServerLimits {
  const limits: Limits = {
    maxKeyBytes: partial.maxKeyBytes ?? DEFAULT_LIMITS.maxKeyBytes,
    maxValueBytes: partial.maxValueBytes ?? DEFAULT_LIMITS.maxValueBytes,
  }
  // A JSON body must at least fit one pair with the largest value in base64.
  const onePair = Math.ceil(limits.maxValueBytes / 3) * 4 + 6 * limits.maxKeyBytes + 4096
  const asked = partial.maxConnectionsAsked ?? partial.maxConnections ?? DEFAULT_MAX_CONNECTIONS
  const plan = planDescriptors(descriptorLimit, asked)
  const maxConnections = plan.maxConnections
  const requestTimeoutMs = partial.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
  return {
    ...limits,
    maxRequestBytes: Math.max(partial.maxRequestBytes ?? 16 * MiB, onePair),
    maxImportBytes: Math.max(partial.maxImportBytes ?? 1024 * MiB, onePair),
    maxConnections,
    maxUnauthenticatedConnections: Math.min(maxConnections, partial.maxUnauthenticatedConnections ?? Math.max(1, Math.ceil(maxConnections / 2))),
    headersTimeoutMs: Math.min(partial.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, requestTimeoutMs),
    idleTimeoutMs: partial.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    requestTimeoutMs,
    // At least one import must fit, whatever the limits.
    maxImportMemoryBytes: Math.max(partial.maxImportMemoryBytes ?? DEFAULT_IMPORT_MEMORY_BYTES, importMemoryShare(limits)),
    importWaitMs: partial.importWaitMs ?? DEFAULT_IMPORT_WAIT_MS,
    ...(descriptorLimit === undefined ? {} : {descriptorLimit}),
    ...(maxConnections < asked ? {maxConnectionsAsked: asked} : {}),
    openFileDescriptors: partial.openFileDescriptors ?? plan.openFileDescriptors,
    accountIdleMs: partial.accountIdleMs ?? DEFAULT_ACCOUNT_IDLE_MS,
  }
}
