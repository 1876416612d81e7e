import assert from 'node:assert/strict'
import {join} from 'node:path'
import {Pool} from 'undici'
import type {Pair} from '../../src/lib/backend.js'
import {HttpBackend} from '../../src/lib/http/http-backend.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'
import {tempHome} from '../helpers/cli.js'
import {startServerProcess, type ServerProcess} from '../helpers/server-process.js'
import {createToken} from '../helpers/server-helpers.js'

const HTTP_BACKEND_CLIENTS = 40
const RAW_CLIENTS = 10
const KEYS_PER_CLIENT = 60
const IMPORTED = 20_000

const valueOf = (key: string) => Buffer.from(`value of ${key} ✓`)

describe('50 clients writing one store on a real server at once', function () {
  this.timeout(60_000)
  let home: ReturnType<typeof tempHome>
  let server: ServerProcess
  let token: string

  before(async function () {
    home = tempHome('kvcloud-concurrency-')
    const dataDir = join(home.home, 'data')
    server = await startServerProcess(['--port', '0', '--data', dataDir, '--log-level', 'warn'], {home: home.home})
    token = createToken(dataDir, 'team').token
  })

  after(async function () {
    await server?.stop('SIGTERM')
    home.cleanup()
  })

  it('keeps every key of every client, and no client sees an error', async function () {
    const setup = await HttpBackend.connect({url: server.url, token, limits: DEFAULT_LIMITS})
    await setup.createStore('shared')
    await setup.close()

    const errors: string[] = []
    const expected = new Map<string, Buffer>()
    let startGun!: () => void
    const started = new Promise<void>((resolve) => (startGun = resolve))

    // 40 HttpBackend clients (each its own connection pool): single-pair writes, batches, and reads of their own keys.
    const backendClients = Array.from({length: HTTP_BACKEND_CLIENTS}, async (_, client) => {
      const backend = await HttpBackend.connect({url: server.url, token, limits: DEFAULT_LIMITS})
      const keys = Array.from({length: KEYS_PER_CLIENT}, (_, i) => `hb-${client}/${i}`)
      for (const key of keys) expected.set(key, valueOf(key))
      await started
      try {
        for (const key of keys.slice(0, 30)) {
          await backend.setValues({store: 'shared'}, [{key, value: valueOf(key)}])
        }
        await backend.setValues({store: 'shared'}, keys.slice(30).map((key) => ({key, value: valueOf(key)})))
        const check = keys[client % keys.length]!
        assert.deepEqual(Buffer.from(await backend.getValue({store: 'shared'}, check)), valueOf(check))
      } catch (error) {
        errors.push(`HttpBackend client ${client}: ${(error as Error).message}`)
      } finally {
        await backend.close()
      }
    })

    // 10 raw HTTP clients: PUT of raw bytes, and Fermyon's one-pair POST.
    const rawClients = Array.from({length: RAW_CLIENTS}, async (_, client) => {
      const pool = new Pool(server.url, {connections: 2})
      const keys = Array.from({length: KEYS_PER_CLIENT}, (_, i) => `raw-${client}%${i}`)
      for (const key of keys) expected.set(key, valueOf(key))
      await started
      try {
        for (const [index, key] of keys.entries()) {
          const headers = {authorization: `Bearer ${token}`}
          const response = index % 2 === 0
            ? await pool.request({method: 'PUT', path: `/api/key-value-stores/shared/keys/${encodeURIComponent(key)}`, headers: {...headers, 'content-type': 'application/octet-stream'}, body: valueOf(key)})
            : await pool.request({method: 'POST', path: '/api/key-value-pairs', headers: {...headers, 'content-type': 'application/json'}, body: JSON.stringify({storeName: 'shared', key, value: valueOf(key).toString('utf8')})})
          const text = await response.body.text()
          if (response.statusCode !== 204) errors.push(`raw client ${client}, ${key}: ${response.statusCode} ${text}`)
        }
      } catch (error) {
        errors.push(`raw client ${client}: ${(error as Error).message}`)
      } finally {
        await pool.close()
      }
    })

    // Meanwhile one more client imports 20,000 pairs, streamed, into the same store.
    const importer = (async () => {
      const backend = await HttpBackend.connect({url: server.url, token, limits: DEFAULT_LIMITS})
      async function* batches(): AsyncIterable<Pair[]> {
        for (let start = 0; start < IMPORTED; start += 2000) {
          yield Array.from({length: 2000}, (_, i) => {
            const key = `imp-${String(start + i).padStart(5, '0')}`
            return {key, value: valueOf(key)}
          })
        }
      }
      for (let i = 0; i < IMPORTED; i++) {
        const key = `imp-${String(i).padStart(5, '0')}`
        expected.set(key, valueOf(key))
      }
      await started
      try {
        assert.deepEqual(await backend.importPairs({store: 'shared'}, batches()), {count: IMPORTED})
      } catch (error) {
        errors.push(`importer: ${(error as Error).message}`)
      } finally {
        await backend.close()
      }
    })()

    const startedAt = Date.now()
    startGun()
    await Promise.all([...backendClients, ...rawClients, importer])
    const elapsed = Date.now() - startedAt
    assert.deepEqual(errors, [])

    const reader = await HttpBackend.connect({url: server.url, token, limits: DEFAULT_LIMITS})
    const stored = new Map<string, Buffer>()
    try {
      for await (const pair of reader.exportPairs({store: 'shared'})) stored.set(pair.key, Buffer.from(pair.value))
    } finally {
      await reader.close()
    }
    assert.equal(expected.size, (HTTP_BACKEND_CLIENTS + RAW_CLIENTS) * KEYS_PER_CLIENT + IMPORTED)
    const missing = [...expected.keys()].filter((key) => !stored.has(key))
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} keys missing`)
    for (const [key, value] of expected) assert.ok(stored.get(key)!.equals(value), `value of ${key}`)
    assert.equal(stored.size, expected.size, 'nothing else in the store')
    console.log(`      ${expected.size - IMPORTED} writes by 50 clients and a ${IMPORTED}-pair import in ${elapsed} ms, all on disk`)
  })
})
