import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {openSqlite} from '../helpers/sqlite.js'
import {LocalBackend} from '../../src/lib/sqlite/local-backend.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'
import {binPath, runCli, tempHome} from '../helpers/cli.js'

const PAIRS = 100_000

function ndjson(count: number): string {
  const lines: string[] = []
  for (let i = 0; i < count; i++) lines.push(JSON.stringify({key: `crash-${i}`, value: 'x'.repeat(100)}))
  return lines.join('\n') + '\n'
}

/** Starts `kv import` and SIGKILLs it after `delayMs`; resolves with how it ended. */
function importAndKill(home: string, file: string, delayMs: number): Promise<{signal: NodeJS.Signals | null; code: number | null}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [binPath, 'kv', 'import', '-s', 'victim', file], {
      env: {...process.env, KVCLOUD_HOME: home, NO_COLOR: '1'},
      stdio: 'ignore',
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal})
    })
  })
}

describe('a local kv import killed with SIGKILL', function () {
  this.timeout(120_000)

  it('leaves all of the import or none of it, and a file that passes SQLite\'s integrity check', async function () {
    const {home, cleanup} = tempHome()
    try {
      const file = join(home, 'pairs.ndjson')
      writeFileSync(file, ndjson(PAIRS))
      assert.equal((await runCli(['kv', 'create', 'victim'], {home})).exitCode, 0)
      assert.equal((await runCli(['kv', 'set', '-s', 'victim', 'before=kept'], {home})).exitCode, 0)

      // Measure one full import to spread the kill moments across its whole run.
      const start = Date.now()
      const full = await runCli(['kv', 'import', '-s', 'victim', file], {home, timeoutMs: 60_000})
      assert.equal(full.exitCode, 0, full.stderr)
      const fullMs = Date.now() - start
      assert.equal((await runCli(['kv', 'delete', 'victim', '--yes'], {home})).exitCode, 0)

      const outcomes = new Set<string>()
      const delays = [0.15, 0.35, 0.55, 0.7, 0.85, 0.95, Math.random()].map((f) => Math.round(f * fullMs))
      for (const delay of delays) {
        await runCli(['kv', 'create', 'victim'], {home})
        await runCli(['kv', 'set', '-s', 'victim', 'before=kept'], {home})
        const ended = await importAndKill(home, file, delay)

        const backend = LocalBackend.open({home, limits: DEFAULT_LIMITS})
        const path = backend.storeFilePath('victim')
        const keys = (await backend.listKeys({store: 'victim'}, {prefix: 'crash-', limit: 10})).items.length
        assert.equal(Buffer.from(await backend.getValue({store: 'victim'}, 'before')).toString(), 'kept')
        await backend.close()

        const db = openSqlite(path, {readonly: true})
        const count = (db.prepare("SELECT count(*) AS n FROM spin_key_value WHERE key LIKE 'crash-%'").get() as {n: number}).n
        const integrity = db.pragma('integrity_check', {simple: true})
        db.close()
        assert.equal(integrity, 'ok')
        assert.ok(count === 0 || count === PAIRS, `after a kill at ${delay} ms the store holds ${count} of ${PAIRS} imported pairs`)
        assert.equal(keys > 0, count === PAIRS)
        outcomes.add(ended.signal === 'SIGKILL' ? (count === 0 ? 'killed-none' : 'killed-all') : 'finished')
        await runCli(['kv', 'delete', 'victim', '--yes'], {home})
      }
      // The spread of kill moments must actually have interrupted imports, or the test proves nothing.
      assert.ok(outcomes.has('killed-none'), `outcomes: ${[...outcomes].join(', ')}`)
    } finally {
      cleanup()
    }
  })
})
