import {setTimeout as sleep} from 'node:timers/promises'
import {ConflictError, UnavailableError} from '../errors.js'

/**
 * The server is too busy for this request now (its import memory is taken); the message is for
 * the client, unlike a storage failure's, and the request can be sent again later.
 */
export class ServerBusyError extends UnavailableError {
  constructor(message: string, hints: string[], readonly retryAfterSeconds: number) {
    super(message, hints)
  }
}

/**
 * What lets an import in: one import at a time per store (a second one waits a bounded time,
 * then gets 409), and a server-wide budget of bytes that imports may hold in memory (each takes
 * its share before it reads its body; one that cannot get it in time gets 503). Imports into
 * different stores, of one account or many, run side by side within the budget.
 */
export class ImportGate {
  private readonly running = new Map<string, Promise<void>>()
  private readonly memory: ByteBudget

  constructor(memoryBytes: number, private readonly waitMs: number) {
    this.memory = new ByteBudget(memoryBytes)
  }

  /** Bytes all imports together may hold in memory now, and of those, how many are taken. */
  get memoryBytes(): {total: number; reserved: number} {
    return {total: this.memory.total, reserved: this.memory.reserved}
  }

  /**
   * Runs `work` once no other import into the same store (`storeKey`, unique across accounts)
   * runs and `bytes` of import memory are reserved for it.
   */
  async run<T>(storeKey: string, storeName: string, bytes: number, work: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.waitMs
    const unlock = await this.lockStore(storeKey, storeName, deadline)
    try {
      const release = await this.memory.reserve(bytes, deadline)
      try {
        return await work()
      } finally {
        release()
      }
    } finally {
      unlock()
    }
  }

  private async lockStore(storeKey: string, storeName: string, deadline: number): Promise<() => void> {
    for (let current = this.running.get(storeKey); current; current = this.running.get(storeKey)) {
      if (!(await settlesBefore(current, deadline))) {
        throw new ConflictError(
          `Another import into key value store "${storeName}" is in progress; this one waited ${formatSeconds(this.waitMs)} for it to finish.`,
          ['Imports into one store run one at a time: import again once the other has finished.', 'Nothing of this import was applied.'],
        )
      }
    }
    let unlock!: () => void
    this.running.set(storeKey, new Promise<void>((resolve) => (unlock = resolve)))
    return () => {
      this.running.delete(storeKey)
      unlock()
    }
  }
}

/** Bytes handed out first come, first served; `reserve` waits until its share fits or the deadline passes. */
export class ByteBudget {
  reserved = 0
  private readonly waiting: Array<{bytes: number; grant: () => void}> = []

  constructor(readonly total: number) {}

  async reserve(bytes: number, deadline: number): Promise<() => void> {
    const share = Math.min(bytes, this.total)
    if (this.waiting.length === 0 && this.reserved + share <= this.total) {
      this.reserved += share
    } else {
      let granted!: () => void
      const turn = new Promise<void>((resolve) => (granted = resolve))
      const waiter = {bytes: share, grant: granted}
      this.waiting.push(waiter)
      if (!(await settlesBefore(turn, deadline))) {
        const index = this.waiting.indexOf(waiter)
        if (index !== -1) {
          this.waiting.splice(index, 1)
          this.grantWaiting()
          throw new ServerBusyError(
            'The server is busy with other imports: its memory for imports is taken. Nothing of this import was applied.',
            ['Send the import again in a moment.'],
            5,
          )
        }
        // Granted at the very last moment: keep it.
      }
    }
    let released = false
    return () => {
      if (released) return
      released = true
      this.reserved -= share
      this.grantWaiting()
    }
  }

  private grantWaiting(): void {
    while (this.waiting.length > 0 && this.reserved + this.waiting[0]!.bytes <= this.total) {
      const next = this.waiting.shift()!
      this.reserved += next.bytes
      next.grant()
    }
  }
}

/** Whether `promise` settles before `deadline` (a time in ms since the epoch). */
async function settlesBefore(promise: Promise<unknown>, deadline: number): Promise<boolean> {
  const remaining = deadline - Date.now()
  if (remaining <= 0) return false
  const timer = new AbortController()
  try {
    return await Promise.race([
      promise.then(() => true, () => true),
      sleep(remaining, false, {signal: timer.signal}).catch(() => false),
    ])
  } finally {
    timer.abort()
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`
}
