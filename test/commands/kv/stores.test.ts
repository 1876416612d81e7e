import {strict as assert} from 'node:assert'
import {runCli} from '../../helpers/cli.js'
import {createStores, deployApp, putPairs, storeContents, storeNames, useHome, withBackend} from '../../helpers/fixtures.js'

// In-process, but for the two cases that are about the binary: kv get's fast path reading a
// renamed store's link, and a delete refused because there is no terminal (in-process runs set CI).
describe('kv create / rename / delete (in-process)', function () {
  this.timeout(60_000)
  const {home, kv} = useHome({inProcess: true})

  describe('create', () => {
    it('creates a store with the incumbent message', async () => {
      const result = await kv(['kv', 'create', 'case-a'])
      assert.equal(result.exitCode, 0, result.stderr)
      assert.equal(result.stdout, 'Key value store "case-a" created\n')
      assert.equal(result.stderr, '')
      assert.deepEqual(await storeNames(home()), ['case-a'])
    })

    it('returns the store under --json', async () => {
      const result = await kv(['kv', 'create', 'case-a', '--json'])
      assert.equal(result.exitCode, 0, result.stderr)
      const json = JSON.parse(result.stdout)
      assert.equal(json.name, 'case-a')
      assert.ok(!Number.isNaN(Date.parse(json.createdAt)))
    })

    it('refuses a taken name with exit 4', async () => {
      await createStores(home(), 'case-a')
      const result = await kv(['kv', 'create', 'case-a'])
      assert.equal(result.exitCode, 4)
      assert.equal(result.stdout, '')
      assert.match(result.stderr, /^Error: Key value store "case-a" already exists\n/)
    })

    it('refuses an invalid name with exit 2 and states the rule', async () => {
      const [spaced, long] = await Promise.all([kv(['kv', 'create', 'bad name']), kv(['kv', 'create', 'x'.repeat(65)])])
      for (const result of [spaced, long]) {
        assert.equal(result.exitCode, 2)
        assert.equal(result.stdout, '')
        assert.match(result.stderr, /A store name is 1 to 64 characters of letters, digits, "-" and "_", and starts with a letter or digit/)
      }
      assert.deepEqual(await storeNames(home()), [])
    })
  })

  describe('rename', () => {
    it('renames a store, keeping its data and links', async () => {
      await createStores(home(), 'old')
      await putPairs(home(), 'old', {k: 'v'})
      await deployApp(home(), 'web-app', {default: 'old'})
      const result = await kv(['kv', 'rename', 'old', 'new'])
      assert.equal(result.exitCode, 0, result.stderr)
      assert.equal(result.stdout, 'Key value store "old" is now named "new"\n')
      assert.deepEqual(await storeNames(home()), ['new'])
      assert.deepEqual(await storeContents(home(), 'new'), {k: '76'})
      const linked = await runCli(['kv', 'get', '-l', 'default', '-a', 'web-app', 'k'], {home: home()})
      assert.equal(linked.stdout, 'v')
    })

    it('refuses a taken name (exit 4), a missing store (exit 3) and an invalid name (exit 2), changing nothing', async () => {
      await createStores(home(), 'one', 'two')
      const [taken, missing, invalid] = await Promise.all([
        kv(['kv', 'rename', 'one', 'two']),
        kv(['kv', 'rename', 'nope', 'three']),
        kv(['kv', 'rename', 'one', '-bad-']),
      ])
      assert.equal(taken.exitCode, 4)
      assert.match(taken.stderr, /Key value store "two" already exists/)
      assert.equal(missing.exitCode, 3)
      assert.match(missing.stderr, /No key value store found with name "nope"/)
      assert.equal(invalid.exitCode, 2)
      for (const result of [taken, missing, invalid]) assert.equal(result.stdout, '')
      assert.deepEqual(await storeNames(home()), ['one', 'two'])
    })
  })

  describe('delete', () => {
    it('deletes with --yes: the store, its data and its links', async () => {
      await createStores(home(), 'doomed')
      await putPairs(home(), 'doomed', {k: 'v'})
      await deployApp(home(), 'web-app', {default: 'doomed'})
      const result = await kv(['kv', 'delete', 'doomed', '--yes', '--json'])
      assert.equal(result.exitCode, 0, result.stderr)
      assert.deepEqual(JSON.parse(result.stdout), {name: 'doomed', links: [{app: 'web-app', label: 'default'}]})
      assert.deepEqual(await storeNames(home()), [])
      await withBackend(home(), async (backend) => assert.deepEqual((await backend.getApp('web-app')).links, []))
      const again = await kv(['kv', 'create', 'doomed'])
      assert.equal(again.exitCode, 0)
      assert.deepEqual(await storeContents(home(), 'doomed'), {})
    })

    it('prints the incumbent message with -y', async () => {
      await createStores(home(), 'doomed')
      const result = await kv(['kv', 'delete', 'doomed', '-y'])
      assert.equal(result.exitCode, 0, result.stderr)
      assert.equal(result.stdout, 'Key value store "doomed" deleted\n')
    })

    it('without a terminal and without --yes fails at once with exit 2 naming --yes, and deletes nothing', async () => {
      await createStores(home(), 'kept')
      await putPairs(home(), 'kept', {k: 'v'})
      const result = await runCli(['kv', 'delete', 'kept'], {home: home(), input: 'kept\n'})
      assert.equal(result.exitCode, 2)
      assert.equal(result.stdout, '')
      assert.match(result.stderr, /needs confirmation, and there is no terminal/)
      assert.match(result.stderr, /kvcloud kv delete kept --yes/)
      assert.doesNotMatch(result.stderr, /Invalid confirmation|sqlite/i)
      assert.deepEqual(await storeContents(home(), 'kept'), {k: '76'})
    })

    it('exits 3 for a missing store', async () => {
      const result = await kv(['kv', 'delete', 'ghost', '--yes'])
      assert.equal(result.exitCode, 3)
      assert.equal(result.stdout, '')
      assert.match(result.stderr, /^Error: No key value store found with name "ghost"\n/)
    })
  })
})
