import assert from 'node:assert/strict'
import {createServer, type Server} from 'node:net'
import Fastify, {type FastifyInstance} from 'fastify'
import type {Pair} from '../../../src/lib/backend.js'
import {KvError} from '../../../src/lib/errors.js'
import {HttpBackend} from '../../../src/lib/http/http-backend.js'
import {DEFAULT_LIMITS} from '../../../src/lib/validation.js'
import {startTestServer, type TestServer} from '../../helpers/test-server.js'

function isKvError(kind: KvError['kind'], exitCode: number, message: RegExp, hint?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof KvError, `expected a KvError, got ${String(error)}`)
    assert.equal(error.kind, kind, error.message)
    assert.equal(error.exitCode, exitCode)
    assert.match(error.message, message)
    if (hint) assert.match(error.hints.join('\n'), hint)
    return true
  }
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const probe: Server = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const {port} = probe.address() as {port: number}
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}

async function* batches(count: number, size: number, value: (i: number) => Uint8Array): AsyncIterable<Pair[]> {
  for (let start = 0; start < count; start += size) {
    yield Array.from({length: Math.min(size, count - start)}, (_, j) => ({key: `key-${String(start + j).padStart(7, '0')}`, value: value(start + j)}))
  }
}

describe('HttpBackend', function () {
  let server: TestServer

  before(async function () {
    server = await startTestServer({maxImportBytes: 6 * 1024 * 1024})
  })

  after(async function () {
    await server.close()
  })

  const connect = (token: string, url = server.url) => HttpBackend.connect({url, token, limits: DEFAULT_LIMITS})

  it('describes itself as remote, with the URL and the token\'s account', async function () {
    const backend = await connect(server.token('desc').token, server.url + '/')
    try {
      assert.deepEqual(await backend.describe(), {kind: 'remote', url: server.url, account: 'desc'})
    } finally {
      await backend.close()
    }
  })

  it('turns an unreachable server into UnavailableError (exit 1) naming the URL and what to do', async function () {
    const url = `http://127.0.0.1:${await closedPort()}`
    const backend = await connect('kvc_x', url)
    try {
      await assert.rejects(backend.getStore('any'), isKvError('unavailable', 1, new RegExp(`Cannot reach the kvcloud server at ${url}: the connection was refused`), /kvcloud server start/))
      await assert.rejects(backend.createStore('any'), isKvError('unavailable', 1, /connection was refused/))
    } finally {
      await backend.close()
    }
  })

  it('turns a refused or revoked token into UnauthorizedError (exit 5) that says to log in', async function () {
    const wrong = await connect('kvc_' + 'B'.repeat(43))
    await assert.rejects(wrong.listStores(), isKvError('unauthorized', 5, /refused the token/, /kvcloud login --url/))
    await wrong.close()
    const issued = server.token('soon-revoked')
    const backend = await connect(issued.token)
    try {
      await backend.createStore('s')
      server.revoke(issued.id)
      await assert.rejects(backend.getStore('s'), isKvError('unauthorized', 5, /revoked/))
    } finally {
      await backend.close()
    }
  })

  it("reports another account's store as not found, with the local backend's message", async function () {
    const owner = await connect(server.token('owner').token)
    const other = await connect(server.token('other').token)
    try {
      await owner.createStore('private')
      await owner.setValues({store: 'private'}, [{key: 'k', value: Buffer.from('v')}])
      await assert.rejects(other.getStore('private'), isKvError('not-found', 3, /^No key value store found with name "private"$/))
      await assert.rejects(other.getValue({store: 'private'}, 'k'), isKvError('not-found', 3, /"private"/))
      await assert.rejects(other.deleteStore('private'), isKvError('not-found', 3, /"private"/))
      assert.deepEqual(Buffer.from(await owner.getValue({store: 'private'}, 'k')).toString(), 'v')
    } finally {
      await owner.close()
      await other.close()
    }
  })

  it('maps a schema failure to InvalidInputError naming the field', async function () {
    const backend = await connect(server.token('schema').token)
    try {
      await assert.rejects(
        backend.deploy({app: {name: 'x', components: [{id: 'c', keyValueStores: ['default'], sqliteDatabases: []}]}, links: [{label: '', store: 's', create: true}]}),
        isKvError('invalid', 2, /links\.0\.label/),
      )
    } finally {
      await backend.close()
    }
  })

  it('imports 100,000 pairs in one streamed request, and exports them back in key order', async function () {
    const backend = await connect(server.token('bulk').token)
    try {
      await backend.createStore('big')
      const before = server.logLines.length
      const progress: number[] = []
      const result = await backend.importPairs({store: 'big'}, batches(100_000, 5_000, (i) => Buffer.from(`value-${i}`)), {onProgress: (n) => progress.push(n)})
      assert.deepEqual(result, {count: 100_000})
      assert.equal(progress.at(-1), 100_000)
      const requests = server.logLines.slice(before)
      assert.deepEqual(requests.map((l) => [l.method, l.url, l.statusCode]), [['POST', '/api/key-value-stores/big/import', 200]])
      let count = 0
      let previous = ''
      for await (const pair of backend.exportPairs({store: 'big'})) {
        assert.ok(pair.key > previous)
        if (count === 42_424) assert.equal(Buffer.from(pair.value).toString(), 'value-42424')
        previous = pair.key
        count++
      }
      assert.equal(count, 100_000)
    } finally {
      await backend.close()
    }
  })

  it('round-trips binary values through set, get, import and export', async function () {
    const backend = await connect(server.token('binary').token)
    const binary = (i: number) => Uint8Array.from([0xff, 0xfe, 0, i % 256, 0xc3])
    try {
      await backend.createStore('bin')
      await backend.setValues({store: 'bin'}, [{key: 'bom', value: Uint8Array.from([0xef, 0xbb, 0xbf, 0x41])}, {key: 'empty', value: new Uint8Array()}])
      await backend.importPairs({store: 'bin'}, batches(300, 100, binary))
      assert.deepEqual(Buffer.from(await backend.getValue({store: 'bin'}, 'bom')), Buffer.from([0xef, 0xbb, 0xbf, 0x41]))
      assert.equal((await backend.getValue({store: 'bin'}, 'empty')).byteLength, 0)
      const exported = new Map<string, Buffer>()
      for await (const pair of backend.exportPairs({store: 'bin'})) exported.set(pair.key, Buffer.from(pair.value))
      assert.equal(exported.size, 302)
      assert.deepEqual(exported.get('key-0000257'), Buffer.from(binary(257)))
    } finally {
      await backend.close()
    }
  })

  it('stops an export early without hanging, and can still be used and closed', async function () {
    const backend = await connect(server.token('early').token)
    try {
      await backend.createStore('s')
      await backend.importPairs({store: 's'}, batches(5_000, 1_000, () => Buffer.alloc(200, 'x')))
      let seen = 0
      for await (const _pair of backend.exportPairs({store: 's'})) if (++seen === 10) break
      assert.equal(seen, 10)
      assert.equal((await backend.listKeys({store: 's'}, {limit: 1})).items.length, 1)
    } finally {
      await backend.close()
    }
  })

  it('checks keys and values against the limits before sending anything', async function () {
    const backend = await connect(server.token('limits').token)
    try {
      await backend.createStore('s')
      const before = server.logLines.length
      await assert.rejects(backend.setValues({store: 's'}, [{key: 'k'.repeat(257), value: Buffer.from('v')}]), isKvError('too-large', 2, /key limit is 256 bytes/))
      await assert.rejects(
        backend.importPairs({store: 's'}, batches(3, 1, (i) => Buffer.alloc(i === 2 ? 1024 * 1024 + 1 : 1))),
        isKvError('too-large', 2, /value limit/),
      )
      assert.equal(server.logLines.slice(before).filter((l) => l.url !== '/api/key-value-stores/s/import').length, 0)
      assert.deepEqual((await backend.listKeys({store: 's'})).items, [])
    } finally {
      await backend.close()
    }
  })

  it("gets a clear 413 when a streamed import passes the server's import limit, and nothing is imported", async function () {
    const backend = await connect(server.token('huge').token)
    try {
      await backend.createStore('s')
      // 10 MB of pairs against a 6 MiB server limit.
      await assert.rejects(
        backend.importPairs({store: 's'}, batches(10_000, 500, () => Buffer.alloc(1000, 'y'))),
        isKvError('too-large', 2, /import is larger than this server's limit/),
      )
      assert.deepEqual((await backend.listKeys({store: 's'})).items, [])
    } finally {
      await backend.close()
    }
  })

  it('refuses a URL that is not http(s)', async function () {
    await assert.rejects(connect('t', 'ftp://example.com'), isKvError('invalid', 2, /not an http or https URL/))
    await assert.rejects(connect('t', 'not a url'), isKvError('invalid', 2, /is not a URL/))
  })

  describe('against a faulty server (fault injection)', function () {
    let faulty: FastifyInstance
    let url: string
    const attempts = new Map<string, number>()
    let plan: Record<string, Array<'503' | '500' | 'drop' | 'misshapen' | 'ok'>> = {}

    before(async function () {
      faulty = Fastify()
      faulty.all('/*', async (request, reply) => {
        const id = `${request.method} ${request.url}`
        attempts.set(id, (attempts.get(id) ?? 0) + 1)
        const step = plan[id]?.shift() ?? 'ok'
        if (step === 'drop') {
          request.raw.socket.destroy()
          return reply
        }
        if (step === '503') return reply.code(503).send({detail: 'busy'})
        if (step === '500') return reply.code(500).send({detail: 'disk on fire'})
        if (step === 'misshapen') return {name: 's', links: [{label: 'default'}], createdAt: '2026-01-01T00:00:00.000Z'}
        if (request.url === '/api/whoami') return reply.code(404).send({detail: 'nope'})
        if (request.url.endsWith('/export')) {
          return reply.type('application/x-ndjson').send('{"key":"a","value":"x"}\n{"key":"b","value":7}\n')
        }
        return request.method === 'GET'
          ? {name: 's', links: [], createdAt: '2026-01-01T00:00:00.000Z'}
          : reply.code(201).send({name: 's', links: [], createdAt: '2026-01-01T00:00:00.000Z'})
      })
      url = await faulty.listen({host: '127.0.0.1', port: 0})
    })

    after(async function () {
      await faulty.close()
    })

    beforeEach(function () {
      attempts.clear()
      plan = {}
    })

    const fastRetries = () => HttpBackend.connect({url, token: 'kvc_t', limits: DEFAULT_LIMITS, retries: {maxRetries: 2, minTimeoutMs: 10}})

    it('retries an idempotent GET after 503s and a dropped connection, with success', async function () {
      plan = {'GET /api/key-value-stores/s': ['503', 'drop']}
      const backend = await fastRetries()
      try {
        assert.equal((await backend.getStore('s')).name, 's')
        assert.equal(attempts.get('GET /api/key-value-stores/s'), 3)
      } finally {
        await backend.close()
      }
    })

    it('gives up after the retries with UnavailableError carrying the server\'s detail', async function () {
      plan = {'GET /api/key-value-stores/s': ['503', '503', '503', '503']}
      const backend = await fastRetries()
      try {
        await assert.rejects(backend.getStore('s'), isKvError('unavailable', 1, /could not handle the request: busy/))
        assert.equal(attempts.get('GET /api/key-value-stores/s'), 3)
      } finally {
        await backend.close()
      }
    })

    it('never retries a POST, whether answered 503 or dropped', async function () {
      const backend = await fastRetries()
      try {
        plan = {'POST /api/key-value-stores/s': ['503']}
        await assert.rejects(backend.createStore('s'), isKvError('unavailable', 1, /busy/))
        assert.equal(attempts.get('POST /api/key-value-stores/s'), 1)
        attempts.clear()
        plan = {'POST /api/key-value-stores/s': ['drop']}
        await assert.rejects(backend.createStore('s'), isKvError('unavailable', 1, /connection was closed/))
        assert.equal(attempts.get('POST /api/key-value-stores/s'), 1)
      } finally {
        await backend.close()
      }
    })

    it('does not retry a 500 (a server bug), and names the server', async function () {
      plan = {'GET /api/key-value-stores/s': ['500']}
      const backend = await fastRetries()
      try {
        await assert.rejects(backend.getStore('s'), isKvError('unavailable', 1, new RegExp(`server at ${url} could not handle the request: disk on fire`)))
        assert.equal(attempts.get('GET /api/key-value-stores/s'), 1)
      } finally {
        await backend.close()
      }
    })

    it("checks each answer against the API's schema instead of trusting it, and names what does not fit", async function () {
      plan = {'GET /api/key-value-stores/s': ['misshapen']}
      const backend = await fastRetries()
      try {
        await assert.rejects(backend.getStore('s'), isKvError('unavailable', 1, /sent an answer to GET \/api\/key-value-stores\/:store that kvcloud does not understand \(\/links\/0\/appId: /))
      } finally {
        await backend.close()
      }
    })

    it('checks each exported line as a pair, and stops at the first that is not one', async function () {
      const backend = await fastRetries()
      const keys: string[] = []
      try {
        await assert.rejects(async () => {
          for await (const pair of backend.exportPairs({store: 's'})) keys.push(pair.key)
        }, isKvError('unavailable', 1, /sent a damaged export \(line 2 is not a pair: \/value: /))
        assert.deepEqual(keys, ['a'])
      } finally {
        await backend.close()
      }
    })

    it('says when a URL is not a kvcloud server', async function () {
      const backend = await fastRetries()
      try {
        await assert.rejects(backend.describe(), isKvError('unavailable', 1, /does not look like a kvcloud server/))
      } finally {
        await backend.close()
      }
    })
  })
})
