import {strict as assert} from 'node:assert'
import {closeSync, openSync, writeFileSync, writeSync} from 'node:fs'
import {join} from 'node:path'
import {runCli} from '../../helpers/cli.js'
import {useServerAndUser} from '../../helpers/server-process.js'
import {createStores, deployApp, putPairs, storeContents, useHome} from '../../helpers/fixtures.js'

// Issue 12: `kv import` streams a wrangler-style JSON array entry by entry instead of reading it
// whole. Real files, the real binary, read back with kv get and kv export, on the local backend
// (a store no label links and a linked one: two import paths) and through a real server.

const COUNT = 30_000

/** Text values, and every seventh value bytes that are not UTF-8 (so base64 in the file and in exports). */
function entries(): Array<{key: string; value: string; base64?: boolean}> {
  return Array.from({length: COUNT}, (_, i) => {
    const key = `key-${String(i).padStart(6, '0')}`
    return i % 7 === 0 ? {key, value: Buffer.from([i % 256, 0xff, 0]).toString('base64'), base64: true} : {key, value: `value ${i} ü "quoted"`}
  })
}

/** What `kv export --format ndjson` prints for `entries()` (keys sort as they were made). */
function exported(list = entries()): string {
  return list.map((entry) => JSON.stringify(entry)).join('\n') + '\n'
}

/** A JSON array as `kv export` writes it (entries with escapes take the parser's path) and pretty-printed (all of it does). */
const layouts = {
  'as kv export writes it': (list: unknown[]) => `[\n${list.map((entry) => JSON.stringify(entry)).join(',\n')}\n]\n`,
  'pretty-printed': (list: unknown[]) => JSON.stringify(list, null, 2),
}

/** A file of `head`, then `size` bytes of "x", then `tail`, written a MiB at a time. */
function writeLarge(path: string, head: string, size: number, tail: string): void {
  const fd = openSync(path, 'w')
  try {
    writeSync(fd, head)
    const chunk = Buffer.alloc(1024 * 1024, 'x')
    for (let written = 0; written < size; written += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, size - written))
    writeSync(fd, tail)
  } finally {
    closeSync(fd)
  }
}

describe('kv import of a JSON array, streamed (real binary, issue 12)', function () {
  this.timeout(120_000)

  describe('local backend', () => {
    const {home, kv} = useHome()
    const file = (name: string, content: string) => {
      writeFileSync(join(home(), name), content)
      return name
    }

    it(`imports ${COUNT.toLocaleString('en-US')} entries in either layout, into a store and into a linked one, as kv get and kv export read them back`, async () => {
      await createStores(home(), 'plain', 'linked')
      await deployApp(home(), 'web-app', {default: 'linked'})
      for (const [layout, write] of Object.entries(layouts)) {
        const name = file(`data-${layout.length}.json`, write(entries()))
        for (const store of ['plain', 'linked']) {
          const result = await kv(['kv', 'import', '-s', store, name])
          assert.equal(result.exitCode, 0, `${layout}, ${store}: ${result.stderr}`)
          assert.equal(result.stderr, `Imported 30,000 pairs into key value store "${store}"\n`)
          const dump = await kv(['kv', 'export', '-s', store, '--format', 'ndjson'])
          assert.equal(dump.stdout, exported(), `${layout}, ${store}`)
          const binary = await kv(['kv', 'get', '-s', store, 'key-029995'])
          assert.deepEqual(binary.stdoutBytes, Buffer.from([29_995 % 256, 0xff, 0]))
          const text = await kv(['kv', 'get', '-s', store, 'key-012346'])
          assert.equal(text.stdout, 'value 12346 ü "quoted"')
        }
      }
    })

    it('changes nothing when an entry far into the array is bad or the text breaks off, naming where, on either import path', async () => {
      await createStores(home(), 'plain', 'linked')
      await deployApp(home(), 'web-app', {default: 'linked'})
      await putPairs(home(), 'plain', {kept: 'yes'})
      await putPairs(home(), 'linked', {kept: 'yes'})
      const bad = entries() as unknown[]
      bad[25_000] = {key: 'bad', value: 5}
      const canonical = entries().map((entry) => JSON.stringify(entry))
      const pretty = layouts['pretty-printed'](entries())
      const cases: Array<[string, RegExp]> = [
        [file('bad-entry.json', layouts['as kv export writes it'](bad)), /^Error: Cannot import bad-entry\.json: entry at index 25000: "value" of key "bad" must be a string, got number 5\.$/m],
        [file('bad-pretty.json', layouts['pretty-printed'](bad)), /^Error: Cannot import bad-pretty\.json: entry at index 25000: "value" of key "bad" must be a string, got number 5\.$/m],
        // No comma between two entries, on line 20,001.
        [file('no-comma.json', `[\n${canonical.slice(0, 20_000).join(',\n')}\n${canonical.slice(20_000).join(',\n')}\n]`), /^Error: Cannot import no-comma\.json: it is not valid JSON \(unexpected "\{" at line 20002, column 1, after the entry at index 19999\)\.$/m],
        [file('cut.json', pretty.slice(0, pretty.indexOf('key-029990') + 5)), /^Error: Cannot import cut\.json: it is not valid JSON \(it ends in the middle of the entry at index 29990\)\.$/m],
        [file('unclosed.json', pretty.slice(0, -2)), /^Error: Cannot import unclosed\.json: it is not valid JSON \(it ends before the array is closed\)\.$/m],
      ]
      for (const [name, message] of cases) {
        for (const store of ['plain', 'linked']) {
          const result = await kv(['kv', 'import', '-s', store, name])
          assert.equal(result.exitCode, 2, `${name} into ${store}: ${result.stderr}`)
          assert.equal(result.stdout, '')
          assert.match(result.stderr, message)
          assert.match(result.stderr, /^Nothing was imported\.$/m)
          assert.deepEqual(await storeContents(home(), store), {kept: Buffer.from('yes').toString('hex')}, `${name} into ${store}`)
        }
      }
    })

    it('refuses a value over 256 MiB early, naming the limit: on a 560 MiB NDJSON line and in a JSON array', async function () {
      await createStores(home(), 'big')
      await putPairs(home(), 'big', {kept: 'yes'})
      const MiB = 1024 * 1024
      writeLarge(join(home(), 'line.ndjson'), '{"key":"small","value":"1"}\n{"key":"big","value":"', 560 * MiB, '"}\n')
      writeLarge(join(home(), 'array.json'), '[{"key":"small","value":"1"},\n {"key": "big", "value": "', 400 * MiB, '"}]\n')
      const limit = 'The value of key "big" is over 268435456 bytes; the value limit is 268435456 bytes (256 MiB).'
      for (const [name, where] of [['line.ndjson', 'line 2'], ['array.json', 'entry at index 1']] as const) {
        const result = await kv(['kv', 'import', '-s', 'big', name], {})
        assert.equal(result.exitCode, 2, result.stderr)
        assert.equal(result.stderr.split('\n')[0], `Error: Cannot import ${name}: ${where}: ${limit}`)
        assert.doesNotMatch(result.stderr, /Invalid string length|not valid UTF-8/)
      }
      assert.deepEqual(await storeContents(home(), 'big'), {kept: Buffer.from('yes').toString('hex')})
    })
  })

  describe('remote backend (a real server)', () => {
    const remote = useServerAndUser('kvcloud-json')
    const kv = (args: string[]) => runCli(args, {home: remote().userHome, env: {KVCLOUD_URL: remote().server.url, KVCLOUD_TOKEN: remote().token}})

    it('streams either layout to the server, and a bad entry far in changes nothing there', async () => {
      for (const [layout, write] of Object.entries(layouts)) {
        const store = `shared-${layout.length}`
        assert.equal((await kv(['kv', 'create', store])).exitCode, 0)
        writeFileSync(join(remote().userHome, 'data.json'), write(entries()))
        const imported = await kv(['kv', 'import', '-s', store, 'data.json'])
        assert.equal(imported.exitCode, 0, imported.stderr)
        assert.match(imported.stderr, /Imported 30,000 pairs into key value store/)
        assert.equal((await kv(['kv', 'export', '-s', store, '--format', 'ndjson'])).stdout, exported(), layout)
        assert.deepEqual((await kv(['kv', 'get', '-s', store, 'key-000007'])).stdoutBytes, Buffer.from([7, 0xff, 0]))

        // Every text value changed, and one bad entry after several batches have gone to the server.
        const changed: unknown[] = entries().map((entry) => (entry.base64 ? entry : {...entry, value: 'changed'}))
        changed[25_000] = {key: 'bad', value: '%%%', base64: true}
        writeFileSync(join(remote().userHome, 'bad.json'), write(changed))
        const refused = await kv(['kv', 'import', '-s', store, 'bad.json'])
        assert.equal(refused.exitCode, 2, refused.stderr)
        assert.match(refused.stderr, /^Error: Cannot import bad\.json: entry at index 25000: "value" of key "bad" is not valid base64 \(standard alphabet, padded\)\.$/m)
        assert.equal((await kv(['kv', 'export', '-s', store, '--format', 'ndjson'])).stdout, exported(), `${layout}: the server's store changed`)
      }
    })
  })
})
