import assert from 'node:assert/strict'
import {join} from 'node:path'
import {openSqlite} from '../../helpers/sqlite.js'
import {collectAll} from '../../../src/lib/backend.js'
import {LocalBackend} from '../../../src/lib/sqlite/local-backend.js'
import {DEFAULT_LIMITS} from '../../../src/lib/validation.js'
import {runCli, tempHome} from '../../helpers/cli.js'
import {runSpinApp} from '../../spin/run-spin-app.js'
import {bind, SPIN_GET} from '../../spin/spin-sql.js'

const app = (name: string, labels: string[]) => ({name, components: [{id: 'web', keyValueStores: labels, sqliteDatabases: []}]})

/** Reads a key with Spin's SQL under a label, on a connection of its own. */
function spinGet(file: string, label: string, key: string): Buffer | undefined {
  const db = openSqlite(file, {readonly: true, timeout: 5000})
  try {
    return (db.prepare(SPIN_GET).get(bind(label, key)) as {value: Buffer} | undefined)?.value
  } finally {
    db.close()
  }
}

describe('one store, one dataset: every label and kvcloud see what Spin writes under any of them', function () {
  this.timeout(180_000)
  let home: string
  let cleanup: () => void
  let backend: LocalBackend

  beforeEach(function () {
    ({home, cleanup} = tempHome('kvcloud-dataset-'))
    backend = LocalBackend.open({home, limits: DEFAULT_LIMITS})
  })

  afterEach(async function () {
    await backend.close()
    cleanup()
  })

  it('two apps share a store: what Spin writes, deletes and increments under one label survives unlink and app delete', async function () {
    await backend.createStore('shared')
    await backend.deploy({app: app('app-one', ['cache']), links: [{label: 'cache', store: 'shared', create: false}]})
    await backend.deploy({app: app('app-two', ['data']), links: [{label: 'data', store: 'shared', create: false}]})
    const file = backend.storeFilePath('shared')

    const report = await runSpinApp(file, 'cache', {sets: 300, deletes: 50, increments: 200, counter: 'visits'})
    assert.deepEqual(report.failures, [])
    const expectKept = async (why: string) => {
      const keys = await collectAll((cursor) => backend.listKeys({store: 'shared'}, {cursor, prefix: 'spin-'}))
      assert.equal(keys.length, 250, `${why}: kvcloud sees ${keys.length} of 250 Spin-written keys`)
      assert.equal(Buffer.from(await backend.getValue({store: 'shared'}, 'visits')).readBigInt64LE(), 200n, why)
      await assert.rejects(backend.getValue({store: 'shared'}, 'spin-0'), /not found/, `${why}: a key Spin deleted came back`)
    }
    // App two, through its own label, sees app one's writes at once.
    assert.equal(spinGet(file, 'data', 'spin-299')?.toString(), 'cache:299')
    assert.equal(spinGet(file, 'data', 'visits')?.readBigInt64LE(), 200n)
    assert.equal(spinGet(file, 'data', 'spin-0'), undefined)
    await expectKept('after Spin wrote')

    await backend.unlinkStore('app-one', 'cache')
    await expectKept('after unlinking the label Spin wrote under')
    assert.equal(spinGet(file, 'data', 'spin-299')?.toString(), 'cache:299')
    await backend.linkStore({app: 'app-one', label: 'cache', store: 'shared'})
    await backend.deleteApp('app-one')
    await expectKept('after deleting the app that wrote')
    await backend.deleteApp('app-two')
    await expectKept('after deleting both apps')
  })

  it('relinking a label (the A/B story) keeps what Spin wrote in each store', async function () {
    await backend.createStore('case-a')
    await backend.createStore('case-b')
    await backend.deploy({app: app('ab', ['promptstore']), links: [{label: 'promptstore', store: 'case-a', create: false}]})
    assert.deepEqual((await runSpinApp(backend.storeFilePath('case-a'), 'promptstore', {sets: 100, prefix: 'a'})).failures, [])
    await backend.linkStore({app: 'ab', label: 'promptstore', store: 'case-b', replace: true})
    assert.deepEqual((await runSpinApp(backend.storeFilePath('case-b'), 'promptstore', {sets: 100, prefix: 'b'})).failures, [])
    await backend.linkStore({app: 'ab', label: 'promptstore', store: 'case-a', replace: true})
    assert.equal((await collectAll((cursor) => backend.listKeys({store: 'case-a'}, {cursor}))).length, 100)
    assert.equal((await collectAll((cursor) => backend.listKeys({store: 'case-b'}, {cursor}))).length, 100)
    assert.equal(spinGet(backend.storeFilePath('case-a'), 'promptstore', 'a-99')?.toString(), 'promptstore:99')
    assert.equal(spinGet(backend.storeFilePath('case-a'), 'promptstore', 'b-99'), undefined, 'each store keeps its own data')
    // kvcloud's delete on a linked store counts what existed, and reaches the label too.
    assert.equal(await backend.deleteKeys({store: 'case-a'}, ['a-0', 'never-there']), 1)
    assert.equal(spinGet(backend.storeFilePath('case-a'), 'promptstore', 'a-0'), undefined)
  })

  it('loses no acknowledged write while kvcloud writers race link, unlink and relink from other processes', async function () {
    await backend.createStore('raced')
    await backend.createStore('other')
    await backend.deploy({app: app('steady', ['first']), links: [{label: 'first', store: 'raced', create: false}]})
    await backend.deploy({app: app('spinner', ['cache']), links: [{label: 'cache', store: 'raced', create: false}]})
    await backend.deploy({app: app('flappy', ['data']), links: [{label: 'data', store: 'other', create: false}]})
    const file = backend.storeFilePath('raced')
    // Three `kv set` loops through the real binary, as scripts run them.
    const writers = [1, 2, 3].map(async (n) => {
      for (let i = 0; i < 25; i++) {
        const result = await runCli(['kv', 'set', '-s', 'raced', `w${n}-${i}=w${n}:${i}`], {home, timeoutMs: 60_000})
        if (result.exitCode !== 0) return result.stderr
      }
      return 0
    })
    // Spin writes under a label that stays linked all along; every other label comes and goes.
    const spin = runSpinApp(file, 'cache', {sets: 150, prefix: 'spin', everyMs: 5})
    for (let round = 0; round < 60; round++) {
      await backend.linkStore({app: 'flappy', label: 'data', store: round % 2 === 0 ? 'raced' : 'other', replace: true})
      if (round % 3 === 0) await backend.unlinkStore('flappy', 'data')
      await backend.unlinkStore('steady', 'first')
      await backend.linkStore({app: 'steady', label: `extra-${'abcd'[round % 4]}`, store: 'raced', allowUndeclared: true})
      await backend.linkStore({app: 'steady', label: 'first', store: 'raced'})
      await backend.unlinkStore('steady', `extra-${'abcd'[round % 4]}`)
    }
    assert.deepEqual(await Promise.all(writers), [0, 0, 0])
    const spinReport = await spin
    assert.deepEqual(spinReport.failures, [])
    const keys = new Set(await collectAll((cursor) => backend.listKeys({store: 'raced'}, {cursor, limit: 1000})))
    const missing = [
      ...[1, 2, 3].flatMap((n) => Array.from({length: 25}, (_, i) => `w${n}-${i}`)),
      ...Array.from({length: 150}, (_, i) => `spin-${i}`),
    ].filter((key) => !keys.has(key))
    assert.deepEqual(missing, [], `${missing.length} acknowledged writes are gone`)
    // And every label the store is linked under holds the same rows.
    assert.equal(spinGet(file, 'cache', 'w3-24')?.toString(), 'w3:24')
  })

  it('two apps deploying onto one store at the same moment both see all of it, and deleting either loses nothing', async function () {
    await backend.createStore('together')
    await backend.setValues({store: 'together'}, Array.from({length: 300}, (_, i) => ({key: `k${i}`, value: Buffer.from(String(i))})))
    await backend.close()
    const {writeApp} = await import('../../helpers/app-dir.js')
    for (let round = 0; round < 5; round++) {
      const one = writeApp(join(home, `one-${round}`), `one-${'abcde'[round]}`, ['left'])
      const two = writeApp(join(home, `two-${round}`), `two-${'abcde'[round]}`, ['right'])
      const results = await Promise.all([
        runCli(['deploy', '-f', one, '--link', 'kv:left=together'], {home, timeoutMs: 60_000}),
        runCli(['deploy', '-f', two, '--link', 'kv:right=together'], {home, timeoutMs: 60_000}),
      ])
      for (const result of results) assert.equal(result.exitCode, 0, result.stderr)
      backend = LocalBackend.open({home, limits: DEFAULT_LIMITS})
      const file = backend.storeFilePath('together')
      assert.equal(spinGet(file, 'left', 'k299')?.toString(), '299', `round ${round}: the left label sees the store`)
      assert.equal(spinGet(file, 'right', 'k299')?.toString(), '299', `round ${round}: the right label sees the store`)
      await backend.deleteApp(`one-${'abcde'[round]}`)
      assert.equal((await collectAll((cursor) => backend.listKeys({store: 'together'}, {cursor}))).length, 300)
      assert.equal(spinGet(file, 'right', 'k0')?.toString(), '0')
      await backend.deleteApp(`two-${'abcde'[round]}`)
      assert.equal((await collectAll((cursor) => backend.listKeys({store: 'together'}, {cursor}))).length, 300)
      await backend.close()
    }
    backend = LocalBackend.open({home, limits: DEFAULT_LIMITS})
  })

  it('an export is one moment of the store, whatever links and writes happen while it runs', async function () {
    await backend.createStore('big')
    await backend.importPairs({store: 'big'}, (async function* () {
      for (let i = 0; i < 20; i++) yield Array.from({length: 1000}, (_, j) => ({key: `k${String(i * 1000 + j).padStart(6, '0')}`, value: Buffer.from('old')}))
    })())
    await backend.deploy({app: app('reader', ['default']), links: [{label: 'default', store: 'big', create: false}]})
    const exported: Array<{key: string; value: string}> = []
    let writes = 0
    for await (const pair of backend.exportPairs({store: 'big'})) {
      exported.push({key: pair.key, value: Buffer.from(pair.value).toString()})
      if (exported.length % 2000 === 0) {
        // Overwrite everything still ahead of the export, add keys behind it, relink, and let Spin write.
        await backend.setValues({store: 'big'}, [{key: 'k019999', value: Buffer.from('new')}, {key: 'a-new', value: Buffer.from('new')}])
        await backend.linkStore({app: 'reader', label: `l${writes}`, store: 'big', allowUndeclared: true})
        await runSpinApp(backend.storeFilePath('big'), 'default', {sets: 1, prefix: 'k019998'})
        writes++
      }
    }
    assert.ok(writes >= 5)
    assert.equal(exported.length, 20_000)
    assert.ok(exported.every((pair) => pair.value === 'old'), 'an export mixed pairs from after it began')
  })

  it('a kv delete of a linked store leaves Spin no rows, and the runtime state of every other store alone', async function () {
    await backend.createStore('doomed')
    await backend.setValues({store: 'doomed'}, [{key: 'k', value: Buffer.from('v')}])
    await backend.createStore('kept')
    await backend.setValues({store: 'kept'}, [{key: 'k', value: Buffer.from('kept')}])
    await backend.deploy({
      app: app('both', ['a', 'b']),
      links: [{label: 'a', store: 'doomed', create: false}, {label: 'b', store: 'kept', create: false}],
    })
    await backend.deleteStore('doomed')
    assert.equal(spinGet(backend.storeFilePath('kept'), 'b', 'k')?.toString(), 'kept')
    await backend.createStore('doomed')
    await assert.rejects(backend.getValue({store: 'doomed'}, 'k'), /not found/)
  })
})
