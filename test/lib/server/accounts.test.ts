import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {openSqlite} from '../../helpers/sqlite.js'
import {KvError} from '../../../src/lib/errors.js'
import {AccountRegistry} from '../../../src/lib/sqlite/accounts.js'

describe('server accounts and tokens (server.db)', function () {
  let dataDir: string
  let registry: AccountRegistry

  beforeEach(function () {
    dataDir = join(mkdtempSync(join(tmpdir(), 'kvcloud-accounts-')), 'data')
    registry = AccountRegistry.open(dataDir)
  })

  afterEach(function () {
    registry.close()
    rmSync(join(dataDir, '..'), {recursive: true, force: true})
  })

  it('makes random prefixed tokens that authenticate as their account', function () {
    const first = registry.createToken('alice')
    const second = registry.createToken('alice')
    assert.match(first.token, /^kvc_[A-Za-z0-9_-]{43}$/)
    assert.notEqual(first.token, second.token)
    assert.notEqual(first.id, second.id)
    assert.equal(first.accountCreated, true)
    assert.equal(second.accountCreated, false)
    const alice = registry.authenticate(first.token)
    assert.deepEqual(registry.authenticate(second.token), alice)
    assert.equal(alice?.name, 'alice')
    const bob = registry.authenticate(registry.createToken('bob').token)
    assert.notEqual(bob?.id, alice?.id)
  })

  it('stores only the SHA-256 of a token, never the token', function () {
    const {token, id} = registry.createToken('alice')
    registry.close()
    const fileBytes = readFileSync(join(dataDir, 'server.db'))
    const walBytes = (() => {
      try {
        return readFileSync(join(dataDir, 'server.db-wal'))
      } catch {
        return Buffer.alloc(0)
      }
    })()
    assert.equal(fileBytes.includes(token), false)
    assert.equal(walBytes.includes(token), false)
    const db = openSqlite(join(dataDir, 'server.db'), {readonly: true})
    const row = db.prepare('SELECT hash FROM tokens WHERE id = ?').get(id) as {hash: Buffer}
    db.close()
    assert.deepEqual(row.hash, createHash('sha256').update(token).digest())
    registry = AccountRegistry.open(dataDir)
  })

  it('refuses unknown, malformed and revoked tokens', function () {
    const {token, id} = registry.createToken('alice')
    assert.equal(registry.authenticate(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')), undefined)
    assert.equal(registry.authenticate('not-a-token'), undefined)
    assert.equal(registry.authenticate(''), undefined)
    assert.equal(registry.authenticate('kvc_' + 'x'.repeat(5000)), undefined)
    const revoked = registry.revokeToken(id)
    assert.equal(revoked.alreadyRevoked, false)
    assert.equal(registry.authenticate(token), undefined)
    assert.equal(registry.revokeToken(id).alreadyRevoked, true)
  })

  it('notices a revoke made through another connection (another process) on the very next check', function () {
    const {token, id} = registry.createToken('alice')
    assert.equal(registry.authenticate(token)?.name, 'alice')
    assert.equal(registry.authenticate(token)?.name, 'alice')
    const admin = AccountRegistry.open(dataDir)
    try {
      admin.revokeToken(id)
    } finally {
      admin.close()
    }
    assert.equal(registry.authenticate(token), undefined)
  })

  it('lists tokens without the secrets, and filters by account', function () {
    const a = registry.createToken('alice')
    const b = registry.createToken('bob')
    registry.revokeToken(b.id)
    const all = registry.listTokens()
    assert.deepEqual(all.map((t) => [t.id, t.account, t.revokedAt !== undefined]), [[a.id, 'alice', false], [b.id, 'bob', true]])
    assert.equal(JSON.stringify(all).includes('kvc_'), false)
    assert.deepEqual(registry.listTokens({account: 'bob'}).map((t) => t.id), [b.id])
  })

  it('names unknown token ids and invalid account names with typed errors', function () {
    assert.throws(() => registry.revokeToken('tok_nope'), (error: unknown) =>
      error instanceof KvError && error.kind === 'not-found' && /tok_nope/.test(error.message))
    for (const name of ['', '../x', 'a b', 'x'.repeat(65), '-lead']) {
      assert.throws(() => registry.createToken(name), (error: unknown) => error instanceof KvError && error.kind === 'invalid', name)
    }
  })

  it('keeps the data folder private to its owner', function () {
    assert.equal(statSync(dataDir).mode & 0o777, 0o700)
  })
})
