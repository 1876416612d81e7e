import assert from 'node:assert/strict'
import {mkdtempSync, readdirSync, readlinkSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Pair} from '../../src/lib/backend.js'
import {LocalBackend} from '../../src/lib/sqlite/local-backend.js'
import {OpenFileBudget} from '../../src/lib/sqlite/open-file-budget.js'
import {MAX_OPEN_FILE_DESCRIPTORS, planDescriptors, readDescriptorLimit, RESERVED_DESCRIPTORS} from '../../src/lib/server/descriptors.js'
import {resolveServerLimits} from '../../src/lib/server/limits.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'

// The budgets behind issue 11's items 2 and 5, on their own.

describe('the open-file budget shared by backends', function () {
  this.timeout(60_000)

  it('closes the least recently used file that is not busy, across every backend given it', async function () {
    const homes = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'kvcloud-budget-')))
    const budget = new OpenFileBudget(10)
    const backends = homes.map((home) => LocalBackend.open({home, limits: DEFAULT_LIMITS, openFiles: budget}))
    const storeFiles = () => readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return homes.some((home) => readlinkSync(`/proc/self/fd/${fd}`).startsWith(join(home, 'stores')))
      } catch {
        return false
      }
    }).length
    try {
      for (const [b, backend] of backends.entries()) {
        for (let s = 0; s < 8; s++) {
          await backend.createStore(`s${s}`)
          await backend.setValues({store: `s${s}`}, [{key: 'k', value: Buffer.from(`${b}-${s}`)}])
          assert.ok(budget.inUse <= 10, `${budget.inUse} descriptors held`)
        }
      }
      if (process.platform === 'linux') assert.ok(storeFiles() <= 10, `${storeFiles()} store files and journals open`)
      // An import in progress in one backend keeps its file open while the other backend churns.
      async function* slowBatches(): AsyncIterable<Pair[]> {
        yield [{key: 'a', value: Buffer.from('1')}]
        for (let s = 0; s < 8; s++) await backends[1]!.getValue({store: `s${s}`}, 'k')
        yield [{key: 'b', value: Buffer.from('2')}]
      }
      assert.equal((await backends[0]!.importPairs({store: 's0'}, slowBatches())).count, 2)
      for (const [b, backend] of backends.entries()) {
        for (let s = 0; s < 8; s++) assert.equal(Buffer.from(await backend.getValue({store: `s${s}`}, 'k')).toString(), `${b}-${s}`)
      }
      assert.equal(Buffer.from(await backends[0]!.getValue({store: 's0'}, 'b')).toString(), '2')
    } finally {
      await Promise.all(backends.map((backend) => backend.close()))
      assert.equal(budget.inUse, 0, 'closing the backends gives every descriptor back')
      for (const home of homes) rmSync(home, {recursive: true, force: true})
    }
  })
})

describe('the descriptor plan read at start', function () {
  it('reads this process\'s descriptor limit', function () {
    const limit = readDescriptorLimit()
    if (process.platform === 'linux') assert.ok(limit === undefined || (Number.isInteger(limit) && limit > 0), String(limit))
  })

  it('gives connections at most half of what is not reserved, and the files the rest, up to a cap', function () {
    assert.deepEqual(planDescriptors(20_000, 1000), {maxConnections: 1000, openFileDescriptors: MAX_OPEN_FILE_DESCRIPTORS})
    assert.deepEqual(planDescriptors(1024, 1000), {maxConnections: (1024 - RESERVED_DESCRIPTORS) / 2, openFileDescriptors: (1024 - RESERVED_DESCRIPTORS) / 2})
    assert.deepEqual(planDescriptors(256, 50), {maxConnections: 50, openFileDescriptors: 256 - RESERVED_DESCRIPTORS - 50})
    assert.deepEqual(planDescriptors(undefined, 1000), {maxConnections: 1000, openFileDescriptors: MAX_OPEN_FILE_DESCRIPTORS})
    const lowered = resolveServerLimits({maxConnections: 1000}, 1024)
    assert.equal(lowered.maxConnections, 480)
    assert.equal(lowered.maxConnectionsAsked, 1000)
    assert.equal(lowered.maxUnauthenticatedConnections, 240)
    // Resolving the resolved limits again changes nothing (the start command and the server both do).
    assert.deepEqual(resolveServerLimits(lowered), lowered)
  })
})
