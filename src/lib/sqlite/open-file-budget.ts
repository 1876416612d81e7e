/** What the budget needs to know about one open file (or group of files, such as a catalog). */
export interface OpenFile {
  /** Descriptors it holds. */
  readonly descriptors: number
  /** While true it must stay open (an import is streaming into it, a request is using it). */
  isBusy(): boolean
  /** Closes it; the owner also forgets it, so that its next use opens it again. */
  close(): void
}

/**
 * A budget of file descriptors shared by every backend that is given it (on a server: every
 * account's store files and catalogs). When an opening goes over it, the least recently used
 * files that are not busy are closed first. Without it, a few busy accounts could hold every
 * descriptor the process may have, and everyone else's requests would fail until a restart.
 * When every file is busy the budget is overrun rather than failing a request: those files are
 * few (imports run one per store) and are closed again when they are done.
 */
export class OpenFileBudget {
  /** In order of use: the first is the least recently used. */
  private readonly files = new Map<object, OpenFile>()
  private held = 0

  constructor(readonly descriptors: number) {}

  /** Descriptors held now by the files this budget knows. */
  get inUse(): number {
    return this.held
  }

  /** A file was opened under `key` (any object that names it): counts it and makes room. */
  opened(key: object, file: OpenFile): void {
    this.closed(key)
    this.files.set(key, file)
    this.held += file.descriptors
    this.makeRoom(key)
  }

  /** A file was used: it becomes the most recently used. */
  used(key: object): void {
    const file = this.files.get(key)
    if (!file) return
    this.files.delete(key)
    this.files.set(key, file)
  }

  /** A file was closed by its owner: forgets it. */
  closed(key: object): void {
    const file = this.files.get(key)
    if (!file) return
    this.files.delete(key)
    this.held -= file.descriptors
  }

  private makeRoom(keep: object): void {
    for (const [key, file] of this.files) {
      if (this.held <= this.descriptors) return
      if (key === keep || file.isBusy()) continue
      this.closed(key)
      file.close()
    }
  }
}
