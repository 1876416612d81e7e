import assert from 'node:assert/strict'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {Pool} from 'undici'
import {HttpBackend} from '../../src/lib/http/http-backend.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'
import {tempHome} from '../helpers/cli.js'
import {startServerProcess, type ServerProcess} from '../helpers/server-process.js'
import {createToken} from '../helpers/server-helpers.js'
import {summarize, valueOf, writeThroughStop} from './server-load.js'

describe('the server stopped with SIGTERM while many clients write', function () {
  this.timeout(90_000)

  it('keeps every write it acknowledged, and every client got an answer or a clear error', async function () {
    const admin = tempHome('kvcloud-restart-')
    const dataDir = join(admin.home, 'data')
    const start = () => startServerProcess(['--port', '0', '--data', dataDir, '--log-level', 'warn'], {home: admin.home})
    let server = await start()
    try {
      const {token} = createToken(dataDir, 'load')
      const setup = await HttpBackend.connect({url: server.url, token, limits: DEFAULT_LIMITS})
      await setup.createStore('load')
      await setup.close()
      const stoppedUrl = server.url

      const result = await writeThroughStop(server, token, {writers: 30, stopAfterMs: 1200})
      assert.equal(result.exitCode, 0, result.stderr)
      assert.match(result.stderr, /Received SIGTERM: finishing requests in flight, then stopping\.\nkvcloud server stopped\.\n$/)

      server = await start()
      const reader = await HttpBackend.connect({url: server.url, token, limits: DEFAULT_LIMITS})
      const stored = new Map<string, Buffer>()
      try {
        for await (const pair of reader.exportPairs({store: 'load'})) stored.set(pair.key, Buffer.from(pair.value))
      } finally {
        await reader.close()
      }

      const acknowledged = result.outcomes.filter((outcome) => outcome.acknowledged)
      assert.ok(acknowledged.length > 100, `${acknowledged.length} writes acknowledged before the stop`)
      const lost = acknowledged.filter((outcome) => !stored.get(outcome.key)?.equals(valueOf(outcome.key)))
      assert.deepEqual(lost.map((outcome) => outcome.key), [], 'acknowledged writes missing after the restart')

      const counts = summarize(result)
      assert.deepEqual(Object.keys(counts).filter((kind) => kind.startsWith('other')), [], JSON.stringify(counts))
      // The errors HttpBackend raised name the server and say what to do.
      for (const outcome of result.outcomes.filter((o) => !o.acknowledged && !o.key.startsWith('raw'))) {
        assert.ok(outcome.error!.includes(stoppedUrl), outcome.error)
      }
      // The import was either acknowledged (and is all there) or failed (and none of it is).
      // The import was in flight when the signal came (it streams for 2 s): the server finishes it.
      assert.equal(result.importOutcome.acknowledged, true, result.importOutcome.error)
      assert.equal(result.importedKeys.filter((key) => stored.has(key)).length, result.importedKeys.length)

      const unacknowledgedButStored = result.outcomes.filter((o) => !o.acknowledged && stored.has(o.key)).length
      console.log(`      stop took ${result.stopMs} ms; ${Object.entries(counts).map(([kind, n]) => `${n} ${kind}`).join(', ')}; ` +
        `${unacknowledgedButStored} unacknowledged writes were stored anyway; the import in flight was finished and stored`)
    } finally {
      await server.stop('SIGKILL')
      admin.cleanup()
    }
  })

  it('closes the connection of an answer given while it drains, so a keep-alive client does not hold the shutdown open', async function () {
    const admin = tempHome('kvcloud-drain-')
    const dataDir = join(admin.home, 'data')
    const server = await startServerProcess(['--port', '0', '--data', dataDir, '--log-level', 'warn'], {home: admin.home})
    const pool = new Pool(server.url, {keepAliveTimeout: 60_000})
    try {
      const {token} = createToken(dataDir, 'drain')
      const headers = {authorization: `Bearer ${token}`}
      const created = await pool.request({method: 'POST', path: '/api/key-value-stores/slow', headers: {...headers, 'content-type': 'application/json'}, body: 'null'})
      await created.body.dump()
      let stopped: ReturnType<ServerProcess['stop']> | undefined
      async function* slowBody(): AsyncIterable<Buffer> {
        for (let i = 0; i < 20; i++) {
          yield Buffer.from(JSON.stringify({key: `k${i}`, value: 'v'}) + '\n')
          if (i === 5) stopped = server.stop('SIGTERM')
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
      }
      const response = await pool.request({method: 'POST', path: '/api/key-value-stores/slow/import', headers: {...headers, 'content-type': 'application/x-ndjson'}, body: Readable.from(slowBody())})
      assert.equal(response.statusCode, 200, await response.body.text())
      assert.equal(response.headers.connection, 'close')
      // The pool stays open with its keep-alive setting; the server still exits promptly on its own.
      const {exitCode} = await stopped!
      assert.equal(exitCode, 0)
    } finally {
      await pool.close()
      await server.stop('SIGKILL')
      admin.cleanup()
    }
  })
})
