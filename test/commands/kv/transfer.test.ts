import {strict as assert} from 'node:assert'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {createStores, deployApp, hex, putPairs, storeContents, useHome, withBackend} from '../../helpers/fixtures.js'

describe('kv import / export (real binary)', function () {
  this.timeout(60_000)
  const {home, kv} = useHome()

  beforeEach(() => createStores(home(), 'store-a'))

  function file(name: string, content: string | Buffer): string {
    writeFileSync(join(home(), name), content)
    return name
  }

  describe('import', () => {
    it('imports a JSON array, with base64 values, and summarises on stderr', async () => {
      file('data.json', JSON.stringify([
        {key: 'a', value: 'one'},
        {key: 'b', value: '/wAK', base64: true},
        {key: 'c', value: 'plain', base64: false, expiration: 123},
      ]))
      const result = await kv(['kv', 'import', '-s', 'store-a', 'data.json'])
      assert.equal(result.exitCode, 0, result.stderr)
      assert.equal(result.stdout, '')
      assert.equal(result.stderr, 'Imported 3 pairs into key value store "store-a"\n')
      assert.deepEqual(await storeContents(home(), 'store-a'), {a: hex('one'), b: 'ff000a', c: hex('plain')})
    })

    it('imports NDJSON from stdin into a labelled store, and returns the count under --json', async () => {
      await deployApp(home(), 'web-app', {default: 'store-a'})
      const input = '{"key":"x","value":"1"}\n{"key":"y","value":"2"}\n'
      const result = await kv(['kv', 'import', '-l', 'default', '-a', 'web-app', '-', '--json'], {input})
      assert.equal(result.exitCode, 0, result.stderr)
      assert.deepEqual(JSON.parse(result.stdout), {count: 2})
      assert.equal(result.stderr, '')
      assert.deepEqual(await storeContents(home(), 'store-a'), {x: hex('1'), y: hex('2')})
    })

    it('is all or nothing: a bad entry names its line, and the store keeps what it had', async () => {
      await putPairs(home(), 'store-a', {kept: 'yes'})
      const lines = Array.from({length: 12_000}, (_, i) => JSON.stringify({key: `k${i}`, value: 'v'}))
      lines.splice(11_000, 0, '{"key":"bad","value":"%%%","base64":true}')
      file('data.ndjson', lines.join('\n'))
      const result = await kv(['kv', 'import', '-s', 'store-a', 'data.ndjson'])
      assert.equal(result.exitCode, 2)
      assert.equal(result.stdout, '')
      assert.match(result.stderr, /^Error: Cannot import data\.ndjson: line 11001: "value" of key "bad" is not valid base64/)
      assert.match(result.stderr, /Nothing was imported\./)
      assert.deepEqual(await storeContents(home(), 'store-a'), {kept: hex('yes')})
    })

    it('refuses bytes that are not UTF-8 instead of changing a key, naming the line', async () => {
      await putPairs(home(), 'store-a', {kept: 'yes'})
      const good = Array.from({length: 3}, (_, i) => Buffer.from(JSON.stringify({key: `k${i}`, value: 'v'}) + '\n'))
      file('bad-key.ndjson', Buffer.concat([...good, Buffer.from('{"key":"bad'), Buffer.from([0xff, 0xfe]), Buffer.from('","value":"v"}\n')]))
      file('bad-value.json', Buffer.concat([Buffer.from('[{"key":"a","value":"x'), Buffer.from([0xc3]), Buffer.from('"}]')]))
      const ndjson = await kv(['kv', 'import', '-s', 'store-a', 'bad-key.ndjson'])
      assert.equal(ndjson.exitCode, 2)
      assert.equal(ndjson.stdout, '')
      assert.match(ndjson.stderr, /^Error: Cannot import bad-key\.ndjson: line 4 is not valid UTF-8 text\./)
      const json = await kv(['kv', 'import', '-s', 'store-a', 'bad-value.json'])
      assert.equal(json.exitCode, 2)
      assert.match(json.stderr, /^Error: Cannot import bad-value\.json: line 1 is not valid UTF-8 text\./)
      assert.deepEqual(await storeContents(home(), 'store-a'), {kept: hex('yes')})
    })

    it('names the index of a bad JSON array entry, and the limits', async () => {
      file('missing.json', '[{"key":"a","value":"1"},{"value":"2"}]')
      file('types.json', '[{"key":"a","value":2}]')
      // Imports take what a store may hold (Spin writes past the write limits), up to 64 KiB keys.
      file('long.ndjson', `{"key":"${'k'.repeat(65_537)}","value":""}\n`)
      file('text.txt', 'a=1\n')
      const [missing, types, long, text] = await Promise.all([
        kv(['kv', 'import', '-s', 'store-a', 'missing.json']),
        kv(['kv', 'import', '-s', 'store-a', 'types.json']),
        kv(['kv', 'import', '-s', 'store-a', 'long.ndjson']),
        kv(['kv', 'import', '-s', 'store-a', 'text.txt']),
      ])
      assert.match(missing.stderr, /Cannot import missing\.json: entry at index 1: missing "key"/)
      assert.match(types.stderr, /Cannot import types\.json: entry at index 0: "value" of key "a" must be a string, got number 2/)
      assert.match(long.stderr, /Cannot import long\.ndjson: line 1: Key "k+…" is 65537 bytes; the key limit is 65536 bytes/)
      assert.match(text.stderr, /neither a JSON array \(starting with "\["\) nor NDJSON/)
      for (const result of [missing, types, long, text]) {
        assert.equal(result.exitCode, 2, result.stderr)
        assert.equal(result.stdout, '')
      }
      assert.deepEqual(await storeContents(home(), 'store-a'), {})
    })

    it('exits 3 for a missing file or store, and 2 for a folder', async () => {
      file('ok.json', '[]')
      const [noFile, noStore, folder] = await Promise.all([
        kv(['kv', 'import', '-s', 'store-a', 'nope.json']),
        kv(['kv', 'import', '-s', 'ghost', 'ok.json']),
        kv(['kv', 'import', '-s', 'store-a', '.']),
      ])
      assert.equal(noFile.exitCode, 3)
      assert.match(noFile.stderr, /No such file "nope\.json"/)
      assert.equal(noStore.exitCode, 3)
      assert.match(noStore.stderr, /No key value store found with name "ghost"/)
      assert.equal(folder.exitCode, 2)
      assert.match(folder.stderr, /"\." is a folder, not a file/)
    })
  })

  describe('export', () => {
    const bytes = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00])

    beforeEach(async () => {
      await putPairs(home(), 'store-a', {text: 'héllo "world"', empty: '', bin: bytes})
    })

    it('writes a JSON array to stdout: text as text, other bytes as base64', async () => {
      const result = await kv(['kv', 'export', '-s', 'store-a'])
      assert.equal(result.exitCode, 0, result.stderr)
      assert.equal(
        result.stdout,
        '[\n{"key":"bin","value":"3q2+7wA=","base64":true},\n{"key":"empty","value":""},\n{"key":"text","value":"héllo \\"world\\""}\n]\n',
      )
      assert.equal(result.stderr, 'Exported 3 pairs from key value store "store-a"\n')
    })

    it('writes NDJSON to a file with -o, and a summary under --json', async () => {
      const result = await kv(['kv', 'export', '-s', 'store-a', '--format', 'ndjson', '-o', 'out.ndjson', '--json'])
      assert.equal(result.exitCode, 0, result.stderr)
      assert.deepEqual(JSON.parse(result.stdout), {count: 3, format: 'ndjson', file: 'out.ndjson'})
      assert.equal(
        readFileSync(join(home(), 'out.ndjson'), 'utf8'),
        '{"key":"bin","value":"3q2+7wA=","base64":true}\n{"key":"empty","value":""}\n{"key":"text","value":"héllo \\"world\\""}\n',
      )
    })

    it('round-trips into another store byte for byte, in both formats and through a pipe', async () => {
      await createStores(home(), 'copy-json', 'copy-ndjson')
      const exported = await kv(['kv', 'export', '-s', 'store-a', '-o', 'backup.json'])
      assert.equal(exported.exitCode, 0, exported.stderr)
      const imported = await kv(['kv', 'import', '-s', 'copy-json', 'backup.json'])
      assert.equal(imported.exitCode, 0, imported.stderr)
      const ndjson = await kv(['kv', 'export', '-s', 'store-a', '--format', 'ndjson'])
      const piped = await kv(['kv', 'import', '-s', 'copy-ndjson', '-'], {input: ndjson.stdoutBytes})
      assert.equal(piped.exitCode, 0, piped.stderr)
      const original = await storeContents(home(), 'store-a')
      assert.equal(original.bin, bytes.toString('hex'))
      assert.deepEqual(await storeContents(home(), 'copy-json'), original)
      assert.deepEqual(await storeContents(home(), 'copy-ndjson'), original)
      const again = await kv(['kv', 'export', '-s', 'copy-json'])
      assert.equal(again.stdout, readFileSync(join(home(), 'backup.json'), 'utf8'))
    })

    it('exports an empty store as [] or as nothing, and that imports back', async () => {
      await createStores(home(), 'empty-store')
      const [json, ndjson] = await Promise.all([
        kv(['kv', 'export', '-s', 'empty-store']),
        kv(['kv', 'export', '-s', 'empty-store', '--format', 'ndjson']),
      ])
      assert.equal(json.stdout, '[]\n')
      assert.equal(ndjson.stdout, '')
      const back = await kv(['kv', 'import', '-s', 'empty-store', '-'], {input: ndjson.stdout})
      assert.equal(back.exitCode, 0, back.stderr)
      assert.equal(back.stderr, 'Imported 0 pairs into key value store "empty-store"\n')
    })

    it('exits 3 for a missing store, printing nothing and leaving no file', async () => {
      const [toStdout, toFile] = await Promise.all([
        kv(['kv', 'export', '-s', 'ghost']),
        kv(['kv', 'export', '-s', 'ghost', '-o', 'ghost.json']),
      ])
      for (const result of [toStdout, toFile]) {
        assert.equal(result.exitCode, 3)
        assert.equal(result.stdout, '')
        assert.match(result.stderr, /No key value store found with name "ghost"/)
      }
      assert.ok(!existsSync(join(home(), 'ghost.json')))
      assert.deepEqual(readdirSync(home()).filter((name) => name.includes('ghost')), [])
    })

    it('needs -o under --json (exit 2), and a writable destination (exit 1)', async () => {
      const [json, folder] = await Promise.all([
        kv(['kv', 'export', '-s', 'store-a', '--json']),
        kv(['kv', 'export', '-s', 'store-a', '-o', join('no-such-folder', 'x.json')]),
      ])
      assert.equal(json.exitCode, 2)
      assert.match(JSON.parse(json.stdout).error.message, /the exported data needs a file/)
      assert.equal(folder.exitCode, 1)
      assert.equal(folder.stdout, '')
      assert.match(folder.stderr, /Cannot write "no-such-folder\/x\.json"/)
    })

    it('exports what an app sees under a label', async () => {
      await deployApp(home(), 'web-app', {default: 'store-a'})
      const result = await kv(['kv', 'export', '-l', 'default', '-a', 'web-app', '--format', 'ndjson'])
      assert.equal(result.exitCode, 0, result.stderr)
      assert.equal(result.stdout.split('\n').length, 4)
      await withBackend(home(), async (backend) => assert.equal((await backend.getStore('store-a')).links.length, 1))
    })
  })
})
