import assert from 'node:assert/strict'
import {openSqlite} from '../helpers/sqlite.js'
import {collectAll} from '../../src/lib/backend.js'
import {LocalBackend} from '../../src/lib/sqlite/local-backend.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'
import {join} from 'node:path'
import {runCli, tempHome} from '../helpers/cli.js'
import {readAsSpin, writeApp} from '../helpers/app-dir.js'

describe('eight kvcloud processes writing one local store beside a running Spin', function () {
  this.timeout(180_000)

  it('keeps every key, and neither kvcloud nor the Spin-style writer ever sees "database is locked"', async function () {
    const {home, cleanup} = tempHome()
    try {
      assert.equal((await runCli(['kv', 'create', 'contended'], {home})).exitCode, 0)
      const probe = LocalBackend.open({home, limits: DEFAULT_LIMITS})
      const path = probe.storeFilePath('contended')
      await probe.close()

      // Spin's connection: no pragmas, 5 s busy timeout, short write transactions in a loop.
      const spin = openSqlite(path, {timeout: 5000})
      const upsert = spin.prepare('INSERT INTO spin_key_value (store, key, value) VALUES (?, ?, ?) ON CONFLICT(store, key) DO UPDATE SET value=excluded.value')
      let spinTransactions = 0
      let spinError: unknown
      let stop = false
      const spinLoop = (async () => {
        while (!stop) {
          try {
            spin.transaction(() => upsert.run('default', `spin-${spinTransactions % 20}`, Buffer.from('s'))).immediate()
            spinTransactions++
          } catch (error) {
            spinError = error
            return
          }
          await new Promise((resolve) => setTimeout(resolve, 5))
        }
      })()

      const writers = 8
      const runsPerWriter = 5
      const keysPerRun = 100 // 8 writers x 500 distinct keys each
      const failures: string[] = []
      await Promise.all(Array.from({length: writers}, async (_, writer) => {
        for (let run = 0; run < runsPerWriter; run++) {
          const pairs = Array.from({length: keysPerRun}, (_, i) => `w${writer}-${run * keysPerRun + i}=${writer}:${run}:${i}`)
          const result = await runCli(['kv', 'set', '-s', 'contended', ...pairs], {home, timeoutMs: 60_000})
          if (result.exitCode !== 0 || /locked/i.test(result.stderr)) failures.push(`writer ${writer}: exit ${result.exitCode} ${result.stderr}`)
        }
      }))
      stop = true
      await spinLoop
      spin.close()

      assert.deepEqual(failures, [])
      assert.equal(spinError, undefined, `the Spin-style writer failed: ${String(spinError)}`)
      assert.ok(spinTransactions > 0)
      const check = LocalBackend.open({home, limits: DEFAULT_LIMITS})
      const keys = await collectAll((cursor) => check.listKeys({store: 'contended'}, {cursor, prefix: 'w', limit: 1000}))
      assert.equal(Buffer.from(await check.getValue({store: 'contended'}, 'w7-499')).toString(), '7:4:99')
      await check.close()
      assert.equal(keys.length, writers * runsPerWriter * keysPerRun)
    } finally {
      cleanup()
    }
  })

  it('deploys eight apps at once, and link afterwards rewrites the runtime config of every one', async function () {
    const {home, cleanup} = tempHome()
    try {
      assert.equal((await runCli(['kv', 'create', 'later'], {home})).exitCode, 0)
      assert.equal((await runCli(['kv', 'set', '-s', 'later', 'who=later'], {home})).exitCode, 0)
      const apps = Array.from({length: 8}, (_, i) => `app${i}`)
      const deploys = await Promise.all(apps.map((app) => {
        writeApp(join(home, app), app, ['default'])
        return runCli(['deploy', '--link', `kv:default=first-${app}`], {home, cwd: join(home, app), timeoutMs: 60_000})
      }))
      assert.deepEqual(deploys.map((result) => [result.exitCode, result.stderr.includes('Wrote ')]), apps.map(() => [0, true]))
      for (const app of apps) {
        const link = await runCli(['link', 'kv', 'default', '-a', app, '-s', 'later', '--yes'], {home})
        assert.equal(link.exitCode, 0, link.stderr)
        assert.match(link.stderr, /Updated .*runtime-config\.toml\. Restart the app with/, `${app}: ${link.stderr}`)
        assert.equal(readAsSpin(join(home, app, 'runtime-config.toml'), 'default', 'who'), 'later')
      }
    } finally {
      cleanup()
    }
  })
})
