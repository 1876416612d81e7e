import {hash as hashOnce, randomBytes, timingSafeEqual} from 'node:crypto'
import {existsSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {InvalidInputError, NotFoundError, UnavailableError} from '../errors.js'
import {openDatabase, writeTransaction, type Db} from './sqlite.js'
import {migrate} from './migrations.js'
import {commandLine} from '../cli-name.js'

const WHAT = 'kvcloud server database'

const MIGRATIONS: string[] = [
  `CREATE TABLE accounts (
     id         INTEGER PRIMARY KEY,
     name       TEXT NOT NULL UNIQUE,
     created_at TEXT NOT NULL
   );
   CREATE TABLE tokens (
     id         TEXT PRIMARY KEY,
     account_id INTEGER NOT NULL REFERENCES accounts (id),
     hash       BLOB NOT NULL UNIQUE,
     created_at TEXT NOT NULL,
     revoked_at TEXT
   );`,
]

export const TOKEN_PREFIX = 'kvc_'
const TOKEN_BYTES = 32

export const ACCOUNT_NAME_RULE =
  'An account name is 1 to 64 characters of letters, digits, ".", "@", "-" and "_", starting with a letter or digit'
const ACCOUNT_NAME = /^[A-Za-z0-9][A-Za-z0-9.@_-]{0,63}$/

export interface Account {
  /** Names the account's data folder; names never reach the file system. */
  id: number
  name: string
}

export interface TokenInfo {
  id: string
  account: string
  createdAt: string
  revokedAt?: string
}

export interface CreatedToken extends TokenInfo {
  /** The secret itself: shown once, never stored. */
  token: string
  accountCreated: boolean
}

interface TokenRow {
  id: string
  account: string
  account_id: number
  hash: Buffer
  created_at: string
  revoked_at: string | null
}

/**
 * Accounts and their API tokens, in `<data>/server.db`. A token is 32 random bytes; only its
 * SHA-256 is kept, so the database never holds a usable secret. The server and the
 * `server token` commands may use the file at once (WAL, busy timeout).
 */
export class AccountRegistry {
  private readonly db: Db
  private readonly byHash
  private readonly dataVersion
  /**
   * Accounts of tokens seen lately, by token hash. Valid while no connection has committed a
   * change to server.db (PRAGMA data_version), so a revoke from `server token revoke` in another
   * process, or from this registry, takes effect on the very next request.
   */
  private readonly recent = new Map<string, Account>()
  private recentVersion = -1

  private constructor(readonly dataDir: string) {
    try {
      // Only the server's user may read the stores and token hashes.
      mkdirSync(dataDir, {recursive: true, mode: 0o700})
    } catch (error) {
      throw new UnavailableError(`Cannot create the server data folder ${dataDir}: ${(error as Error).message}`, [
        'Pass --data with a folder you can write to.',
      ])
    }
    const path = join(dataDir, 'server.db')
    this.db = openDatabase(path, WHAT, {create: true})
    try {
      this.db.pragma('journal_mode = WAL')
      this.db.pragma('foreign_keys = ON')
      this.migrate(path)
    } catch (error) {
      this.db.close()
      throw error
    }
    this.dataVersion = this.db.prepare<[], number>('PRAGMA data_version').pluck()
    this.byHash = this.db.prepare<[Buffer], TokenRow>(
      `SELECT t.id, a.name AS account, a.id AS account_id, t.hash, t.created_at, t.revoked_at
       FROM tokens t JOIN accounts a ON a.id = t.account_id WHERE t.hash = ?`,
    )
  }

  static open(dataDir: string): AccountRegistry {
    return new AccountRegistry(dataDir)
  }

  /** Whether a server database exists there (listing and revoking must not create one). */
  static exists(dataDir: string): boolean {
    return existsSync(join(dataDir, 'server.db'))
  }

  /** Where an account's stores live. */
  accountHome(account: Account): string {
    return join(this.dataDir, 'accounts', String(account.id))
  }

  /** The account a token belongs to; undefined for an unknown, malformed or revoked token. */
  authenticate(token: string): Account | undefined {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined
    const hash = hashToken(token)
    const version = this.dataVersion.get()!
    if (version !== this.recentVersion) {
      this.recent.clear()
      this.recentVersion = version
    }
    const key = hash.toString('base64')
    const known = this.recent.get(key)
    if (known) return known
    const row = this.byHash.get(hash)
    // The row was found by its hash; comparing in constant time keeps that step free of timing hints.
    if (!row || !timingSafeEqual(row.hash, hash) || row.revoked_at !== null) return undefined
    const account = {id: row.account_id, name: row.account}
    // Only valid tokens are remembered, and not too many, so random tokens cannot fill memory.
    if (this.recent.size >= 10_000) this.recent.clear()
    this.recent.set(key, account)
    return account
  }

  /** A new token for the account, creating the account when it does not exist yet. */
  createToken(accountName: string): CreatedToken {
    if (!ACCOUNT_NAME.test(accountName)) {
      throw new InvalidInputError(`Invalid account name "${accountName}". ${ACCOUNT_NAME_RULE}.`)
    }
    const token = TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url')
    const id = 'tok_' + randomBytes(6).toString('hex')
    const createdAt = new Date().toISOString()
    const accountCreated = this.write(() => {
      const inserted = this.db
        .prepare('INSERT INTO accounts (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING')
        .run(accountName, createdAt)
      const account = this.db.prepare<[string], {id: number}>('SELECT id FROM accounts WHERE name = ?').get(accountName)!
      this.db
        .prepare('INSERT INTO tokens (id, account_id, hash, created_at) VALUES (?, ?, ?, ?)')
        .run(id, account.id, hashToken(token), createdAt)
      return inserted.changes > 0
    })
    return {id, account: accountName, createdAt, token, accountCreated}
  }

  listTokens(options: {account?: string} = {}): TokenInfo[] {
    const rows = this.db
      .prepare<[string | null, string | null], TokenRow>(
        `SELECT t.id, a.name AS account, t.created_at, t.revoked_at
         FROM tokens t JOIN accounts a ON a.id = t.account_id
         WHERE ? IS NULL OR a.name = ? ORDER BY t.rowid`,
      )
      .all(options.account ?? null, options.account ?? null)
    return rows.map((row) => ({
      id: row.id,
      account: row.account,
      createdAt: row.created_at,
      ...(row.revoked_at ? {revokedAt: row.revoked_at} : {}),
    }))
  }

  /** Revokes a token; `alreadyRevoked` when it was revoked before. Unknown ids are NotFound. */
  revokeToken(id: string): TokenInfo & {alreadyRevoked: boolean} {
    return this.write(() => {
      const row = this.db
        .prepare<[string], TokenRow>(
          'SELECT t.id, a.name AS account, t.created_at, t.revoked_at FROM tokens t JOIN accounts a ON a.id = t.account_id WHERE t.id = ?',
        )
        .get(id)
      if (!row) {
        throw new NotFoundError(`No token found with id "${id}"`, [`Run "${commandLine('server token list')}" to see the tokens and their ids.`])
      }
      if (row.revoked_at) return {id, account: row.account, createdAt: row.created_at, revokedAt: row.revoked_at, alreadyRevoked: true}
      const revokedAt = new Date().toISOString()
      this.db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ?').run(revokedAt, id)
      return {id, account: row.account, createdAt: row.created_at, revokedAt, alreadyRevoked: false}
    })
  }

  close(): void {
    if (this.db.open) this.db.close()
  }

  private write<T>(work: () => T): T {
    // data_version only counts other connections' commits: forget what this one may change.
    this.recent.clear()
    return writeTransaction(this.db, join(this.dataDir, 'server.db'), WHAT, work)
  }

  private migrate(path: string): void {
    migrate(this.db, {
      steps: MIGRATIONS,
      describe: `The ${WHAT} ${path}`,
      newerHint: 'Upgrade kvcloud, or pass --data with another folder.',
      write: (work) => this.write(work),
    })
  }
}

function hashToken(token: string): Buffer {
  // One call, no Hash object: this runs on every request.
  return hashOnce('sha256', token, 'buffer')
}
