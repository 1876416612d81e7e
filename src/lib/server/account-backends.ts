import type {Backend, Limits} from '../backend.js'
import {LocalBackend} from '../local/local-backend.js'
import type {Account, AccountRegistry} from './accounts.js'

/**
 * One LocalBackend per account, opened on first use at `<data>/accounts/<id>/` and kept open.
 * The server adds no rules of its own: each account's stores, apps and links behave exactly as
 * the local backend's do, and an account cannot name another's store because it is not there.
 */
export class AccountBackends {
  private readonly open = new Map<number, Backend>()

  constructor(private readonly registry: AccountRegistry, private readonly limits: Limits) {}

  forAccount(account: Account): Backend {
    let backend = this.open.get(account.id)
    if (!backend) {
      // The server's data folder is its own (see DataFolderLock): no other process reads these files.
      backend = LocalBackend.open({home: this.registry.accountHome(account), limits: this.limits, exclusive: true})
      this.open.set(account.id, backend)
    }
    return backend
  }

  async closeAll(): Promise<void> {
    const backends = [...this.open.values()]
    this.open.clear()
    await Promise.all(backends.map((backend) => backend.close()))
  }
}
