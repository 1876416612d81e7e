import type {Backend} from '../backend.js'
import {LocalBackend} from '../sqlite/local-backend.js'
import {OpenFileBudget} from '../sqlite/open-file-budget.js'
import type {Account, AccountRegistry} from '../sqlite/accounts.js'
import type {ServerLimits} from './limits.js'

/** An open account catalog holds its database and its write-ahead log. */
const CATALOG_DESCRIPTORS = 2

interface OpenAccount {
  backend: LocalBackend
  lastUsed: number
}

/**
 * One LocalBackend per account, opened at `<data>/accounts/<id>/` on first use. The server adds
 * no rules of its own: each account's stores, apps and links behave exactly as the local
 * backend's do, and an account cannot name another's store because it is not there.
 *
 * Every account's catalog and store files share one descriptor budget (least recently used
 * closed first), and an account idle for `accountIdleMs` is closed, so that a few busy accounts
 * cannot hold every descriptor the process may have. An account with a request in progress
 * (see acquire) is never closed.
 */
export class AccountBackends {
  readonly openFiles: OpenFileBudget
  private readonly open = new Map<number, OpenAccount>()
  private readonly inFlight = new Map<number, number>()
  private readonly sweep: NodeJS.Timeout

  constructor(private readonly registry: AccountRegistry, private readonly limits: ServerLimits) {
    this.openFiles = new OpenFileBudget(limits.openFileDescriptors)
    this.sweep = setInterval(() => this.closeIdle(), Math.max(50, Math.min(10_000, Math.floor(limits.accountIdleMs / 2))))
    this.sweep.unref()
  }

  forAccount(account: Account): Backend {
    let entry = this.open.get(account.id)
    if (entry) {
      this.openFiles.used(entry)
    } else {
      // The server's data folder is its own (see DataFolderLock): no other process reads these files.
      const backend = LocalBackend.open({home: this.registry.accountHome(account), limits: this.limits, exclusive: true, openFiles: this.openFiles})
      const opened: OpenAccount = {backend, lastUsed: Date.now()}
      entry = opened
      this.open.set(account.id, opened)
      this.openFiles.opened(opened, {
        descriptors: CATALOG_DESCRIPTORS,
        isBusy: () => this.isBusy(account.id),
        close: () => this.closeAccount(account.id, opened),
      })
    }
    entry.lastUsed = Date.now()
    return entry.backend
  }

  /** A request of the account has begun: its backend stays open until the returned function is called. */
  acquire(account: Account): () => void {
    this.inFlight.set(account.id, (this.inFlight.get(account.id) ?? 0) + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const left = (this.inFlight.get(account.id) ?? 1) - 1
      if (left > 0) this.inFlight.set(account.id, left)
      else this.inFlight.delete(account.id)
      const entry = this.open.get(account.id)
      if (entry) entry.lastUsed = Date.now()
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweep)
    const entries = [...this.open]
    await Promise.all(entries.map(([id, entry]) => this.closeAccount(id, entry)))
  }

  private isBusy(accountId: number): boolean {
    return (this.inFlight.get(accountId) ?? 0) > 0
  }

  private closeIdle(): void {
    const before = Date.now() - this.limits.accountIdleMs
    for (const [id, entry] of this.open) {
      if (entry.lastUsed < before && !this.isBusy(id)) void this.closeAccount(id, entry)
    }
  }

  private async closeAccount(accountId: number, entry: OpenAccount): Promise<void> {
    if (this.open.get(accountId) === entry) this.open.delete(accountId)
    this.openFiles.closed(entry)
    await entry.backend.close()
  }
}
