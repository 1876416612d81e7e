import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {HttpBackend} from '../../src/lib/http/http-backend.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'
import {binPath, tempHome} from '../helpers/cli.js'
import {startServerProcess, type ServerProcess} from '../helpers/server-process.js'
import {accountFiles, countKeys, createToken, integrityCheck} from '../helpers/server-helpers.js'

const PAIRS = 100_000
/** The first bytes of a rollback journal that still holds a transaction (SQLite's file format). */
const JOURNAL_MAGIC = Buffer.from('d9d505f920a163d7', 'hex')

/**
 * Whether a journal beside the file still describes a transaction. The server keeps its files
 * locked, and SQLite then leaves a committed journal in place with its header zeroed.
 */
function hasLiveJournal(path: string): boolean {
  const journal = path + '-journal'
  return existsSync(journal) && readFileSync(journal).subarray(0, 8).equals(JOURNAL_MAGIC)
}

interface ClientRun {
  code: number | null
  stdout: string
  stderr: string
  ms: number
}

/** `kvcloud kv import` against the server, configured the way scripts do (KVCLOUD_URL, KVCLOUD_TOKEN). */
function importThroughBinary(home: string, url: string, token: string, file: string, onStart?: () => void): Promise<ClientRun> {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(process.execPath, [binPath, 'kv', 'import', '-s', 'victim', file], {
      env: {...process.env, KVCLOUD_HOME: home, KVCLOUD_URL: url, KVCLOUD_TOKEN: token, NO_COLOR: '1'},
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    child.on('close', (code) => resolve({code, stdout, stderr, ms: Date.now() - started}))
    onStart?.()
  })
}

describe('the server killed with SIGKILL during a 100,000-pair kv import', function () {
  this.timeout(120_000)

  it('keeps all of the import or none of it, with every SQLite file intact, and the client says which URL failed', async function () {
    const admin = tempHome('kvcloud-crash-admin-')
    const user = tempHome('kvcloud-crash-user-')
    const dataDir = join(admin.home, 'data')
    const start = () => startServerProcess(['--port', '0', '--data', dataDir, '--log-level', 'warn'], {home: admin.home})
    let server: ServerProcess | undefined
    try {
      server = await start()
      const {token, accountHome} = createToken(dataDir, 'crash')
      const file = join(user.home, 'pairs.ndjson')
      writeFileSync(file, Array.from({length: PAIRS}, (_, i) => JSON.stringify({key: `crash-${i}`, value: 'x'.repeat(100)})).join('\n') + '\n')

      const prepareStore = async (url: string) => {
        const backend = await HttpBackend.connect({url, token, limits: DEFAULT_LIMITS})
        try {
          await backend.deleteStore('victim').catch(() => undefined)
          await backend.createStore('victim')
          await backend.setValues({store: 'victim'}, [{key: 'before', value: Buffer.from('kept')}])
        } finally {
          await backend.close()
        }
      }

      // One whole import first, to spread the kill moments over its real length.
      await prepareStore(server.url)
      const full = await importThroughBinary(user.home, server.url, token, file)
      assert.equal(full.code, 0, full.stderr)
      assert.match(full.stderr, /Imported 100,000 pairs into key value store "victim"/)

      const outcomes: string[] = []
      // The first import runs cold; later ones are faster, so the reference shrinks to the fastest seen.
      let reference = full.ms
      const fractions = [0.3, 0.55, 0.75, 0.9, 0.97, Math.random()]
      for (const fraction of fractions) {
        await prepareStore(server.url)
        const url = server.url
        const victim = server
        const delay = Math.round(fraction * reference)
        let killed!: Promise<unknown>
        const run = await importThroughBinary(user.home, url, token, file, () => {
          killed = new Promise((resolve) => setTimeout(() => resolve(victim.stop('SIGKILL')), delay))
        })
        const ended = (await killed) as {exitCode: number | null}
        assert.equal(ended.exitCode, null, 'the server was killed, not stopped')

        const files = await accountFiles(accountHome, 'victim')
        // A live rollback journal left behind: the kill landed inside the transaction that applies the import.
        const hotJournal = hasLiveJournal(files.storeFile)
        for (const path of [files.catalog, files.storeFile, join(dataDir, 'server.db')]) assert.equal(integrityCheck(path), 'ok', path)
        const count = countKeys(files.storeFile, 'crash-')
        assert.ok(count === 0 || count === PAIRS, `a kill ${delay} ms into the import left ${count} of ${PAIRS} pairs`)

        if (run.code === 0) {
          assert.equal(count, PAIRS, 'the client was told it succeeded')
          reference = Math.min(reference, run.ms)
          outcomes.push(`${delay} ms: finished before the kill`)
        } else {
          assert.equal(run.code, 1, run.stderr)
          assert.equal(run.stdout, '')
          assert.match(run.stderr, new RegExp(`Error: Cannot reach the kvcloud server at ${url}: `))
          assert.match(run.stderr, /Check that the server is running/)
          assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace')
          outcomes.push(`${delay} ms: killed${hotJournal ? ' while applying' : ''}, ${count === 0 ? 'none' : 'all'} of the import kept`)
        }

        server = await start()
        const backend = await HttpBackend.connect({url: server.url, token, limits: DEFAULT_LIMITS})
        try {
          assert.equal(Buffer.from(await backend.getValue({store: 'victim'}, 'before')).toString(), 'kept')
          const page = await backend.listKeys({store: 'victim'}, {prefix: 'crash-', limit: 10})
          assert.equal(page.items.length > 0, count === PAIRS, 'the restarted server serves what is on disk')
        } finally {
          await backend.close()
        }
      }
      console.log(`      ${outcomes.join('; ')}`)
      // The kill moments must have interrupted imports in flight, or this proves nothing.
      assert.ok(outcomes.some((outcome) => outcome.includes('killed, none')), outcomes.join('; '))
    } finally {
      await server?.stop('SIGKILL')
      admin.cleanup()
      user.cleanup()
    }
  })
})
