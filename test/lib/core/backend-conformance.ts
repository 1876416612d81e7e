import assert from 'node:assert/strict'
import type {Backend, ComponentInfo, Pair} from '../../../src/lib/backend.js'
import {collectAll} from '../../../src/lib/backend.js'
import {KvError} from '../../../src/lib/errors.js'

export interface BackendUnderTest {
  backend: Backend
  cleanup: () => Promise<void>
}

/** Limits every implementation under test is opened with. */
export const CONFORMANCE_LIMITS = {maxKeyBytes: 256, maxValueBytes: 64 * 1024}

async function rejectsWith(promise: Promise<unknown>, kind: KvError['kind'], message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof KvError, `expected a KvError, got ${String(error)}`)
    assert.equal(error.kind, kind, `expected kind ${kind}, got ${error.kind}: ${error.message}`)
    if (message) assert.match(error.message, message)
    return true
  })
}

const text = (value: string): Uint8Array => Buffer.from(value, 'utf8')
const asText = (value: Uint8Array): string => Buffer.from(value).toString('utf8')

function component(id: string, labels: string[]): ComponentInfo {
  return {id, keyValueStores: labels, sqliteDatabases: []}
}

async function* batchesOf(pairs: Pair[], size: number): AsyncIterable<Pair[]> {
  for (let i = 0; i < pairs.length; i += size) yield pairs.slice(i, i + size)
}

/**
 * The semantics every Backend must share, run against each implementation (local SQLite,
 * HTTP client + server). A behaviour asserted here holds for users whichever backend they use.
 */
export function describeBackendConformance(name: string, open: () => Promise<BackendUnderTest>): void {
  describe(`Backend conformance: ${name}`, function () {
    let subject: BackendUnderTest
    let backend: Backend

    beforeEach(async function () {
      subject = await open()
      backend = subject.backend
    })

    afterEach(async function () {
      await subject.cleanup()
    })

    async function deployApp(app: string, labels: string[], links: Array<{label: string; store: string; create?: boolean}>) {
      return backend.deploy({
        app: {name: app, version: '1.0.0', components: [component('main', labels)]},
        links: links.map((l) => ({label: l.label, store: l.store, create: l.create ?? false})),
      })
    }

    describe('stores', function () {
      it('creates, lists in name order, renames and deletes stores', async function () {
        await backend.createStore('case-b')
        await backend.createStore('case-a')
        const names = (await backend.listStores()).items.map((s) => s.name)
        assert.deepEqual(names, ['case-a', 'case-b'])
        await backend.renameStore('case-b', 'case-c')
        assert.equal((await backend.getStore('case-c')).name, 'case-c')
        await rejectsWith(backend.getStore('case-b'), 'not-found', /No key value store found with name "case-b"/)
        await backend.deleteStore('case-c')
        assert.deepEqual((await backend.listStores()).items.map((s) => s.name), ['case-a'])
      })

      it('refuses a taken name on create and on rename, changing nothing', async function () {
        await backend.createStore('one')
        await backend.createStore('two')
        await rejectsWith(backend.createStore('one'), 'conflict', /Key value store "one" already exists/)
        await rejectsWith(backend.renameStore('two', 'one'), 'conflict', /already exists/)
        assert.deepEqual((await backend.listStores()).items.map((s) => s.name), ['one', 'two'])
      })

      it('refuses invalid names with the rule', async function () {
        for (const bad of ['', '-lead', 'has space', '../x', 'a'.repeat(65), 'ünï']) {
          await rejectsWith(backend.createStore(bad), 'invalid', /1 to 64 characters/)
        }
        await backend.createStore('ok')
        await rejectsWith(backend.renameStore('ok', '../escape'), 'invalid', /1 to 64 characters/)
        assert.deepEqual((await backend.listStores()).items.map((s) => s.name), ['ok'])
      })

      it('reports missing stores as not found for every operation', async function () {
        await rejectsWith(backend.deleteStore('ghost'), 'not-found', /"ghost"/)
        await rejectsWith(backend.renameStore('ghost', 'other'), 'not-found', /"ghost"/)
        await rejectsWith(backend.getValue({store: 'ghost'}, 'k'), 'not-found', /"ghost"/)
        await rejectsWith(backend.setValues({store: 'ghost'}, [{key: 'k', value: text('v')}]), 'not-found', /"ghost"/)
        await rejectsWith(backend.listKeys({store: 'ghost'}), 'not-found', /"ghost"/)
      })

      it('pages store listings with a cursor', async function () {
        for (let i = 0; i < 7; i++) await backend.createStore(`s${i}`)
        const first = await backend.listStores({limit: 3})
        assert.deepEqual(first.items.map((s) => s.name), ['s0', 's1', 's2'])
        assert.ok(first.next)
        const all = await collectAll((cursor) => backend.listStores({cursor, limit: 3}))
        assert.deepEqual(all.map((s) => s.name), ['s0', 's1', 's2', 's3', 's4', 's5', 's6'])
      })
    })

    describe('pairs', function () {
      beforeEach(async function () {
        await backend.createStore('data')
      })

      it('sets, gets, overwrites and deletes values byte for byte', async function () {
        const binary = Uint8Array.from([0, 255, 1, 254, 10, 13, 0])
        await backend.setValues({store: 'data'}, [
          {key: 'greeting', value: text('hello')},
          {key: 'bin', value: binary},
          {key: 'empty', value: new Uint8Array()},
        ])
        assert.equal(asText(await backend.getValue({store: 'data'}, 'greeting')), 'hello')
        assert.deepEqual(Buffer.from(await backend.getValue({store: 'data'}, 'bin')), Buffer.from(binary))
        assert.equal((await backend.getValue({store: 'data'}, 'empty')).byteLength, 0)
        await backend.setValues({store: 'data'}, [{key: 'greeting', value: text('bye')}])
        assert.equal(asText(await backend.getValue({store: 'data'}, 'greeting')), 'bye')
        assert.equal(await backend.deleteKeys({store: 'data'}, ['greeting', 'missing']), 1)
        await rejectsWith(backend.getValue({store: 'data'}, 'greeting'), 'not-found', /greeting/)
      })

      it('handles keys with slashes, percent signs, dots, unicode and spaces', async function () {
        const keys = ['a/b/c', '100%', '..', '../etc/passwd', 'ключ', '🔑 key', 'with space', 'q?x=1&y#z']
        await backend.setValues({store: 'data'}, keys.map((key) => ({key, value: text(`v:${key}`)})))
        for (const key of keys) assert.equal(asText(await backend.getValue({store: 'data'}, key)), `v:${key}`)
        const listed = await collectAll((cursor) => backend.listKeys({store: 'data'}, {cursor, limit: 3}))
        assert.deepEqual(listed, [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))))
      })

      it('lists keys in byte order, by prefix, page by page', async function () {
        const keys = ['b', 'a', 'user:2', 'user:10', 'user:1', 'userx', 'é', 'z']
        await backend.setValues({store: 'data'}, keys.map((key) => ({key, value: text('1')})))
        const all = await collectAll((cursor) => backend.listKeys({store: 'data'}, {cursor, limit: 2}))
        assert.deepEqual(all, ['a', 'b', 'user:1', 'user:10', 'user:2', 'userx', 'z', 'é'])
        const users = await collectAll((cursor) => backend.listKeys({store: 'data'}, {prefix: 'user:', cursor, limit: 2}))
        assert.deepEqual(users, ['user:1', 'user:10', 'user:2'])
        const none = await backend.listKeys({store: 'data'}, {prefix: 'nothing'})
        assert.deepEqual(none, {items: [], next: undefined})
      })

      it('writes all pairs or none when one is invalid', async function () {
        await rejectsWith(
          backend.setValues({store: 'data'}, [{key: 'good', value: text('1')}, {key: '', value: text('2')}]),
          'invalid',
        )
        await rejectsWith(
          backend.setValues({store: 'data'}, [{key: 'good', value: text('1')}, {key: 'big', value: new Uint8Array(CONFORMANCE_LIMITS.maxValueBytes + 1)}]),
          'too-large',
          /value limit/,
        )
        await rejectsWith(
          backend.setValues({store: 'data'}, [{key: 'k'.repeat(CONFORMANCE_LIMITS.maxKeyBytes + 1), value: text('1')}]),
          'too-large',
          /key limit/,
        )
        assert.deepEqual((await backend.listKeys({store: 'data'})).items, [])
        await backend.setValues({store: 'data'}, [{key: 'k'.repeat(CONFORMANCE_LIMITS.maxKeyBytes), value: new Uint8Array(CONFORMANCE_LIMITS.maxValueBytes)}])
      })

      it('imports in batches all or nothing, and exports in key order', async function () {
        const pairs = Array.from({length: 2500}, (_, i) => ({key: `k${String(i).padStart(5, '0')}`, value: text(`value ${i}`)}))
        const progress: number[] = []
        const result = await backend.importPairs({store: 'data'}, batchesOf(pairs, 1000), {onProgress: (n) => progress.push(n)})
        assert.equal(result.count, 2500)
        assert.ok(progress.length > 0 && progress.at(-1)! <= 2500)
        const exported: Pair[] = []
        for await (const pair of backend.exportPairs({store: 'data'})) exported.push(pair)
        assert.equal(exported.length, 2500)
        assert.equal(exported[0]!.key, 'k00000')
        assert.equal(asText(exported[2499]!.value), 'value 2499')

        async function* failing(): AsyncIterable<Pair[]> {
          yield [{key: 'new-1', value: text('x')}]
          yield [{key: '', value: text('bad')}]
        }
        await rejectsWith(backend.importPairs({store: 'data'}, failing()), 'invalid')
        await rejectsWith(backend.getValue({store: 'data'}, 'new-1'), 'not-found')
      })

      it('keeps the last of duplicate keys in one import', async function () {
        await backend.importPairs({store: 'data'}, batchesOf([{key: 'dup', value: text('1')}, {key: 'dup', value: text('2')}], 1))
        assert.equal(asText(await backend.getValue({store: 'data'}, 'dup')), '2')
      })
    })

    describe('apps and links', function () {
      it('deploys an app, links existing and new stores, and increments the revision', async function () {
        await backend.createStore('case-a')
        const first = await deployApp('ab', ['promptstore', 'cache'], [
          {label: 'promptstore', store: 'case-a'},
          {label: 'cache', store: 'ab-cache', create: true},
        ])
        assert.equal(first.revision, 1)
        assert.deepEqual(first.labels, [
          {label: 'cache', store: 'ab-cache', action: 'created'},
          {label: 'promptstore', store: 'case-a', action: 'linked'},
        ])
        const second = await deployApp('ab', ['promptstore', 'cache'], [])
        assert.equal(second.revision, 2)
        assert.deepEqual(second.labels.map((l) => l.action), ['kept', 'kept'])
        const app = await backend.getApp('ab')
        assert.deepEqual(app.labels, ['cache', 'promptstore'])
        assert.deepEqual(app.links, [{kind: 'key-value', label: 'cache', store: 'ab-cache'}, {kind: 'key-value', label: 'promptstore', store: 'case-a'}])
        assert.deepEqual((await backend.getStore('case-a')).links, [{app: 'ab', label: 'promptstore'}])
      })

      it('refuses a deploy that leaves a label unlinked, changing nothing', async function () {
        await rejectsWith(deployApp('lonely', ['one', 'two'], [{label: 'one', store: 'x1', create: true}]), 'invalid', /'two'/)
        await rejectsWith(backend.getApp('lonely'), 'not-found', /Could not find app 'lonely'/)
        await rejectsWith(backend.getStore('x1'), 'not-found')
      })

      it('reports labels no longer declared as unused', async function () {
        await deployApp('shrink', ['a', 'b'], [{label: 'a', store: 'sa', create: true}, {label: 'b', store: 'sb', create: true}])
        const result = await deployApp('shrink', ['a'], [])
        assert.deepEqual(result.unused, [{kind: 'key-value', label: 'b', store: 'sb'}])
      })

      it('runs the A/B story: link, unlink, relink, two labels at once', async function () {
        await backend.createStore('case-a')
        await backend.createStore('case-b')
        await backend.setValues({store: 'case-a'}, [{key: 'prompt', value: text('A')}])
        await backend.setValues({store: 'case-b'}, [{key: 'prompt', value: text('B')}])
        await deployApp('ab', ['promptstore'], [{label: 'promptstore', store: 'case-a'}])
        assert.equal(asText(await backend.getValue({app: 'ab', label: 'promptstore'}, 'prompt')), 'A')

        const unlinked = await backend.unlinkStore('ab', 'promptstore')
        assert.deepEqual(unlinked, {app: 'ab', kind: 'key-value', label: 'promptstore', store: 'case-a'})
        await rejectsWith(backend.getValue({app: 'ab', label: 'promptstore'}, 'prompt'), 'not-found', /label "promptstore" for app "ab"/)
        assert.equal(asText(await backend.getValue({store: 'case-a'}, 'prompt')), 'A', 'unlinking keeps the data')

        const linked = await backend.linkStore({app: 'ab', label: 'promptstore', store: 'case-b'})
        assert.equal(linked.status, 'linked')
        assert.equal(asText(await backend.getValue({app: 'ab', label: 'promptstore'}, 'prompt')), 'B')
        const again = await backend.linkStore({app: 'ab', label: 'promptstore', store: 'case-b'})
        assert.equal(again.status, 'already-linked')

        await rejectsWith(backend.linkStore({app: 'ab', label: 'promptstore', store: 'case-a'}), 'conflict', /currently linked to "case-b"/)
        await assert.rejects(backend.linkStore({app: 'ab', label: 'promptstore', store: 'case-a'}), (error: KvError) => {
          assert.deepEqual(error.fact, {code: 'label-linked-elsewhere', app: 'ab', kind: 'key-value', label: 'promptstore', linkedTo: 'case-b', wanted: 'case-a'})
          return true
        })
        const relinked = await backend.linkStore({app: 'ab', label: 'promptstore', store: 'case-a', replace: true})
        assert.deepEqual(relinked, {status: 'relinked', app: 'ab', kind: 'key-value', label: 'promptstore', store: 'case-a', previousStore: 'case-b'})
        assert.equal(asText(await backend.getValue({app: 'ab', label: 'promptstore'}, 'prompt')), 'A')
        assert.equal(asText(await backend.getValue({store: 'case-b'}, 'prompt')), 'B', 'relinking away keeps the data')

        await deployApp('ab', ['promptstore1', 'promptstore2'], [
          {label: 'promptstore1', store: 'case-a'},
          {label: 'promptstore2', store: 'case-b'},
        ])
        assert.equal(asText(await backend.getValue({app: 'ab', label: 'promptstore1'}, 'prompt')), 'A')
        assert.equal(asText(await backend.getValue({app: 'ab', label: 'promptstore2'}, 'prompt')), 'B')
        const listed = await backend.listStores({app: 'ab'})
        assert.deepEqual(listed.items.map((s) => [s.name, s.links]), [
          ['case-a', [{app: 'ab', label: 'promptstore'}, {app: 'ab', label: 'promptstore1'}]],
          ['case-b', [{app: 'ab', label: 'promptstore2'}]],
        ])
      })

      it('writes through a label reach the store by name, and the other way round', async function () {
        await backend.createStore('shared')
        await deployApp('one', ['cache'], [{label: 'cache', store: 'shared'}])
        await deployApp('two', ['other'], [{label: 'other', store: 'shared'}])
        await backend.setValues({app: 'one', label: 'cache'}, [{key: 'k', value: text('via one')}])
        assert.equal(asText(await backend.getValue({app: 'two', label: 'other'}, 'k')), 'via one')
        assert.equal(asText(await backend.getValue({store: 'shared'}, 'k')), 'via one')
        await backend.setValues({store: 'shared'}, [{key: 'k', value: text('by name')}])
        assert.equal(asText(await backend.getValue({app: 'one', label: 'cache'}, 'k')), 'by name')
        await backend.unlinkStore('one', 'cache')
        await backend.unlinkStore('two', 'other')
        assert.equal(asText(await backend.getValue({store: 'shared'}, 'k')), 'by name', 'the last copy survives every unlink')
      })

      it('errors for missing apps, stores and links', async function () {
        await backend.createStore('s')
        await rejectsWith(backend.linkStore({app: 'nope', label: 'x', store: 's'}), 'not-found', /Could not find app 'nope'/)
        await deployApp('app', ['x'], [{label: 'x', store: 's'}])
        await rejectsWith(backend.linkStore({app: 'app', label: 'x', store: 'missing'}), 'not-found', /Key value store "missing" does not exist/)
        await rejectsWith(backend.unlinkStore('app', 'y'), 'not-found', /No key value store found with label "y" for app "app"/)
        await rejectsWith(backend.linkStore({app: 'app', label: 'Bad_label-x', store: 's'}), 'invalid', /label/)
        // Links carry a kind; SQLite databases are not linked yet, on any backend.
        await rejectsWith(backend.linkStore({app: 'app', kind: 'sqlite', label: 'x', store: 's'}), 'invalid', /does not link SQLite databases yet/)
        await rejectsWith(backend.unlinkStore('app', 'x', 'sqlite'), 'invalid', /does not link SQLite databases yet/)
        assert.deepEqual((await backend.getApp('app')).links, [{kind: 'key-value', label: 'x', store: 's'}])
      })

      it('links only a label the app declares, unless the caller allows an undeclared one', async function () {
        await backend.createStore('s')
        await deployApp('app', ['x', 'y'], [{label: 'x', store: 's'}, {label: 'y', store: 's'}])
        await assert.rejects(backend.linkStore({app: 'app', label: 'typo', store: 's'}), (error: unknown) => {
          assert.ok(error instanceof KvError)
          assert.equal(error.kind, 'invalid')
          assert.equal(error.message, 'App "app" does not use the label "typo": no component declares it in key_value_stores (its labels: x, y).')
          // The same fact from every backend, so the CLI advises the same whichever it talks to.
          assert.deepEqual(error.fact, {code: 'label-undeclared', app: 'app', kind: 'key-value', label: 'typo', declared: ['x', 'y']})
          return true
        })
        assert.deepEqual((await backend.getApp('app')).links.map((link) => link.label), ['x', 'y'], 'nothing was linked')
        const linked = await backend.linkStore({app: 'app', label: 'typo', store: 's', allowUndeclared: true})
        assert.equal(linked.status, 'linked')
        assert.equal((await backend.deploy({app: {name: 'app', components: [component('main', ['x'])]}, links: []})).unused.length, 2)
      })

      it('deletes an app and its links but never a store or its data', async function () {
        await deployApp('gone', ['keep'], [{label: 'keep', store: 'kept', create: true}])
        await backend.setValues({app: 'gone', label: 'keep'}, [{key: 'k', value: text('v')}])
        await backend.deleteApp('gone')
        await rejectsWith(backend.getApp('gone'), 'not-found')
        assert.deepEqual((await backend.getStore('kept')).links, [])
        assert.equal(asText(await backend.getValue({store: 'kept'}, 'k')), 'v')
      })

      it('deleting a store removes its links', async function () {
        await deployApp('app', ['x'], [{label: 'x', store: 'doomed', create: true}])
        await backend.deleteStore('doomed')
        assert.deepEqual((await backend.getApp('app')).links, [])
        await backend.createStore('doomed')
        await rejectsWith(backend.getValue({store: 'doomed'}, 'anything'), 'not-found')
      })

      it('pages app listings', async function () {
        for (const name of ['c', 'a', 'b']) await deployApp(name, [], [])
        const apps = await collectAll((cursor) => backend.listApps({cursor, limit: 2}))
        assert.deepEqual(apps.map((a) => a.name), ['a', 'b', 'c'])
      })
    })
  })
}
