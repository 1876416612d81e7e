import {strict as assert} from 'node:assert'
import {spawn} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {binPath} from '../../helpers/cli.js'
import {createStores, deployApp, hex, putManyKeys, putPairs, storeContents, useHome} from '../../helpers/fixtures.js'

describe('kv set / get / keys / unset (real binary)', function () {
  this.timeout(60_000)
  const {home, kv} = useHome()

  beforeEach(() => createStores(home(), 'store-a'))

  describe('set', () => {
    it('sets every pair, split on the first "=", printing nothing', async () => {
      const result = await kv(['kv', 'set', '-s', 'store-a', 'a=1', 'url=https://x?y=z', 'empty=', 'ü=ä ö'])
      assert.equal(result.exitCode, 0, result.stderr)
      assert.equal(result.stdout, '')
      assert.equal(result.stderr, '')
      assert.deepEqual(await storeContents(home(), 'store-a'), {a: hex('1'), empty: '', url: hex('https://x?y=z'), ü: hex('ä ö')})
    })

    it('reports the keys under --json', async () => {
      const result = await kv(['kv', 'set', '--store', 'store-a', 'a=1', 'b=2', '--json'])
      assert.equal(result.exitCode, 0, result.stderr)
      assert.deepEqual(JSON.parse(result.stdout), {keys: ['a', 'b']})
    })

    it('takes one value from a file or from stdin, byte for byte', async () => {
      const bytes = Buffer.from(Array.from({length: 256}, (_, i) => i))
      writeFileSync(join(home(), 'value.bin'), bytes)
      const fromFile = await kv(['kv', 'set', '-s', 'store-a', 'k=with=equals', '--file', 'value.bin'])
      assert.equal(fromFile.exitCode, 0, fromFile.stderr)
      assert.equal(fromFile.stdout, '')
      const fromStdin = await kv(['kv', 'set', '-s', 'store-a', 'piped', '--file', '-'], {input: Buffer.from([0, 10, 13, 255])})
      assert.equal(fromStdin.exitCode, 0, fromStdin.stderr)
      assert.deepEqual(await storeContents(home(), 'store-a'), {'k=with=equals': bytes.toString('hex'), piped: '000a0dff'})
    })

    it('writes nothing when one argument is not KEY=VALUE (exit 2, names it)', async () => {
      const result = await kv(['kv', 'set', '-s', 'store-a', 'a=1', 'oops', 'b=2'])
      assert.equal(result.exitCode, 2)
      assert.equal(result.stdout, '')
      assert.match(result.stderr, /^Error: "oops" is not a KEY=VALUE pair\. Nothing was written\.\n/)
      assert.deepEqual(await storeContents(home(), 'store-a'), {})
    })

    it('writes nothing when one value is over the limit (exit 2, names the limit)', async () => {
      const result = await kv(['kv', 'set', '-s', 'store-a', 'a=1', `big=${'x'.repeat(2000)}`])
      assert.equal(result.exitCode, 0, result.stderr)
      await kv(['config', 'set', 'max-value-bytes', '1000'])
      const refused = await kv(['kv', 'set', '-s', 'store-a', 'c=1', `big2=${'x'.repeat(1001)}`])
      assert.equal(refused.exitCode, 2)
      assert.equal(refused.stdout, '')
      assert.match(refused.stderr, /The value of key "big2" is 1001 bytes; the value limit is 1000 bytes/)
      assert.deepEqual(Object.keys(await storeContents(home(), 'store-a')), ['a', 'big'])
    })

    it('refuses a key over 256 bytes with exit 2', async () => {
      const result = await kv(['kv', 'set', '-s', 'store-a', `${'k'.repeat(257)}=v`])
      assert.equal(result.exitCode, 2)
      assert.match(result.stderr, /is 257 bytes; the key limit is 256 bytes of UTF-8/)
    })

    it('refuses --file with more than one key, and a missing file (exit 3)', async () => {
      const [two, missing] = await Promise.all([
        kv(['kv', 'set', '-s', 'store-a', 'a', 'b', '--file', '-']),
        kv(['kv', 'set', '-s', 'store-a', 'a', '--file', 'nope.bin']),
      ])
      assert.equal(two.exitCode, 2)
      assert.match(two.stderr, /--file takes the value of exactly one key, but 2 arguments were given/)
      assert.equal(missing.exitCode, 3)
      assert.match(missing.stderr, /No such file "nope.bin"/)
      for (const result of [two, missing]) assert.equal(result.stdout, '')
      assert.deepEqual(await storeContents(home(), 'store-a'), {})
    })

    it('needs exactly one selector: --store, or --label with --app (exit 2)', async () => {
      const results = await Promise.all([
        kv(['kv', 'set', 'a=1']),
        kv(['kv', 'set', '-s', 'store-a', '-l', 'default', '-a', 'x', 'a=1']),
        kv(['kv', 'set', '-l', 'default', 'a=1']),
        kv(['kv', 'set', '-s', 'store-a', '-a', 'x', 'a=1']),
      ])
      for (const result of results) {
        assert.equal(result.exitCode, 2, result.stderr)
        assert.equal(result.stdout, '')
      }
      assert.match(results[0]!.stderr, /Exactly one of the following must be provided: --label, --store/)
      assert.match(results[1]!.stderr, /--label cannot also be provided when using --store/)
      assert.match(results[2]!.stderr, /All of the following must be provided when using --label: --app/)
      assert.match(results[3]!.stderr, /All of the following must be provided when using --app: --label/)
    })

    it('exits 3 for a missing store, and for an app without that label', async () => {
      await deployApp(home(), 'web-app', {default: 'store-a'})
      const [store, label, app] = await Promise.all([
        kv(['kv', 'set', '-s', 'ghost', 'a=1']),
        kv(['kv', 'set', '-l', 'other', '-a', 'web-app', 'a=1']),
        kv(['kv', 'set', '-l', 'default', '-a', 'ghost-app', 'a=1']),
      ])
      assert.equal(store.exitCode, 3)
      assert.match(store.stderr, /No key value store found with name "ghost"/)
      assert.equal(label.exitCode, 3)
      assert.match(label.stderr, /No key value store found with label "other" for app "web-app"/)
      assert.equal(app.exitCode, 3)
      assert.match(app.stderr, /Could not find app 'ghost-app'/)
    })
  })

  describe('get', () => {
    it('writes the raw value with no newline, by store or by label and app', async () => {
      await putPairs(home(), 'store-a', {greeting: 'hello world'})
      await deployApp(home(), 'web-app', {default: 'store-a'})
      const [byStore, byLabel] = await Promise.all([
        kv(['kv', 'get', '-s', 'store-a', 'greeting']),
        kv(['kv', 'get', '--label', 'default', '--app', 'web-app', 'greeting']),
      ])
      for (const result of [byStore, byLabel]) {
        assert.equal(result.exitCode, 0, result.stderr)
        assert.equal(result.stdout, 'hello world')
        assert.equal(result.stderr, '')
      }
    })

    it('writes binary values byte for byte, and gives the export entry under --json: text, or base64 with "base64": true', async () => {
      const bytes = Buffer.from([0xff, 0x00, 0x0a, 0xc3])
      await putPairs(home(), 'store-a', {bin: bytes, text: 'héllo'})
      const [raw, binJson, textJson] = await Promise.all([
        kv(['kv', 'get', '-s', 'store-a', 'bin']),
        kv(['kv', 'get', '-s', 'store-a', 'bin', '--json']),
        kv(['kv', 'get', '-s', 'store-a', 'text', '--json']),
      ])
      assert.deepEqual(raw.stdoutBytes, bytes)
      assert.deepEqual(JSON.parse(binJson.stdout), {key: 'bin', value: bytes.toString('base64'), base64: true})
      // The entry kv export writes, so kv get --json and kv import read the same shape.
      assert.deepEqual(JSON.parse(textJson.stdout), {key: 'text', value: 'héllo'})
    })

    it('exits 3 with a message on stderr for a missing key or store', async () => {
      const [key, store, json] = await Promise.all([
        kv(['kv', 'get', '-s', 'store-a', 'nope']),
        kv(['kv', 'get', '-s', 'ghost', 'nope']),
        kv(['kv', 'get', '-s', 'store-a', 'nope', '--json']),
      ])
      assert.equal(key.exitCode, 3)
      assert.equal(key.stdout, '')
      assert.match(key.stderr, /^Error: Key "nope" not found in key value store "store-a"\n/)
      assert.equal(store.exitCode, 3)
      assert.equal(store.stdout, '')
      assert.match(store.stderr, /No key value store found with name "ghost"/)
      assert.equal(json.exitCode, 3)
      assert.equal(JSON.parse(json.stdout).error.kind, 'not-found')
    })
  })

  describe('keys', () => {
    it('lists keys one per line in byte order, with --prefix', async () => {
      await putPairs(home(), 'store-a', {'user:2': 'b', 'user:10': 'a', config: 'c', é: 'd', Z: 'e'})
      const [all, prefixed] = await Promise.all([kv(['kv', 'keys', '-s', 'store-a']), kv(['kv', 'keys', '-s', 'store-a', '--prefix', 'user:'])])
      assert.equal(all.exitCode, 0, all.stderr)
      assert.equal(all.stdout, 'Z\nconfig\nuser:10\nuser:2\né\n')
      assert.equal(all.stderr, '')
      assert.equal(prefixed.stdout, 'user:10\nuser:2\n')
    })

    it('pages with --limit and --cursor, in text and in --json', async () => {
      await putPairs(home(), 'store-a', Object.fromEntries(Array.from({length: 25}, (_, i) => [`k${String(i).padStart(2, '0')}`, 'v'])))
      const first = await kv(['kv', 'keys', '-s', 'store-a', '--limit', '10', '--json'])
      const page1 = JSON.parse(first.stdout) as {keys: string[]; next?: string}
      assert.deepEqual(page1.keys, Array.from({length: 10}, (_, i) => `k${String(i).padStart(2, '0')}`))
      assert.equal(typeof page1.next, 'string')
      const second = await kv(['kv', 'keys', '-s', 'store-a', '--limit', '10', '--cursor', page1.next!])
      assert.equal(second.stdout, Array.from({length: 10}, (_, i) => `k${i + 10}`).join('\n') + '\n')
      const hint = /More keys follow\. To list them, add: --cursor (\S+)\n/.exec(second.stderr)
      assert.ok(hint, second.stderr)
      const last = await kv(['kv', 'keys', '-s', 'store-a', '--cursor', hint[1]!, '--json'])
      assert.deepEqual(JSON.parse(last.stdout), {keys: ['k20', 'k21', 'k22', 'k23', 'k24']})
    })

    it('lists more keys than one page holds', async () => {
      await putManyKeys(home(), 'store-a', 2500)
      const [result, json] = await Promise.all([kv(['kv', 'keys', '-s', 'store-a']), kv(['kv', 'keys', '-s', 'store-a', '--json'])])
      const keys = result.stdout.split('\n')
      assert.equal(keys.length, 2501)
      assert.equal(keys[2499], 'key-02499')
      assert.equal(result.stderr, '')
      // --json is one page of 1000 by default, with the cursor of the next.
      const page = JSON.parse(json.stdout) as {keys: string[]; next?: string}
      assert.equal(page.keys.length, 1000)
      assert.equal(page.keys[999], 'key-00999')
      const rest = JSON.parse((await kv(['kv', 'keys', '-s', 'store-a', '--json', '--limit', '5000', '--cursor', page.next!])).stdout)
      assert.equal(rest.keys.length, 1500)
      assert.equal(rest.keys[0], 'key-01000')
      assert.equal(rest.next, undefined)
    })

    it('stops quietly when the reader closes the pipe', async () => {
      // More than a pipe buffer (64 KiB) holds, so the writer really meets the closed pipe.
      await putManyKeys(home(), 'store-a', 12_000)
      const result = await new Promise<{stdout: string; stderr: string; code: number | null}>((resolve) => {
        const child = spawn('sh', ['-c', `"${process.execPath}" "${binPath}" kv keys -s store-a | head -n 2`], {env: {...process.env, KVCLOUD_HOME: home(), NO_COLOR: '1'}})
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
        child.on('close', (code) => resolve({stdout, stderr, code}))
      })
      assert.equal(result.stdout, 'key-00000\nkey-00001\n')
      assert.equal(result.stderr, '')
    })

    it('refuses a bad --limit or cursor (exit 2) and a missing store (exit 3)', async () => {
      const [limit, cursor, store] = await Promise.all([
        kv(['kv', 'keys', '-s', 'store-a', '--limit', '0']),
        kv(['kv', 'keys', '-s', 'store-a', '--cursor', '!!']),
        kv(['kv', 'keys', '-s', 'ghost']),
      ])
      assert.equal(limit.exitCode, 2)
      assert.match(limit.stderr, /Expected an integer greater than or equal to 1/)
      assert.equal(cursor.exitCode, 2)
      assert.match(cursor.stderr, /Invalid cursor "!!"/)
      assert.equal(store.exitCode, 3)
      for (const result of [limit, cursor, store]) assert.equal(result.stdout, '')
    })
  })

  describe('unset', () => {
    it('deletes keys and says on stderr how many existed', async () => {
      await putPairs(home(), 'store-a', {a: '1', b: '2', c: '3'})
      const result = await kv(['kv', 'unset', '-s', 'store-a', 'a', 'b', 'zz'])
      assert.equal(result.exitCode, 0, result.stderr)
      assert.equal(result.stdout, '')
      assert.equal(result.stderr, 'Deleted 2 keys from key value store "store-a" (1 key did not exist)\n')
      assert.deepEqual(await storeContents(home(), 'store-a'), {c: hex('3')})
      const json = await kv(['kv', 'unset', '-s', 'store-a', 'c', 'c', '--json'])
      assert.deepEqual(JSON.parse(json.stdout), {keys: ['c'], deleted: 1})
    })

    it('exits 3 for a missing store and 2 without a key', async () => {
      const [store, none] = await Promise.all([kv(['kv', 'unset', '-s', 'ghost', 'a']), kv(['kv', 'unset', '-s', 'store-a'])])
      assert.equal(store.exitCode, 3)
      assert.match(store.stderr, /No key value store found with name "ghost"/)
      assert.equal(none.exitCode, 2)
      assert.match(none.stderr, /Missing 1 required arg/)
    })
  })
})
