// Soak: `kvcloud kv import` of N pairs while the server is killed with SIGKILL at a random moment,
// R rounds. After each kill: SQLite's integrity check on the store file, the catalog and
// server.db, and the store holds all of the import or none of it. Prints a tally; exits 1 on
// any partial import or failed check.
//   npm run build && node --import tsx test/soak/server-crash-soak.ts [--rounds 30] [--pairs 100000]
import {spawn} from 'node:child_process'
import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {HttpBackend} from '../../src/lib/http/http-backend.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'
import {binPath, tempHome} from '../helpers/cli.js'
import {startServerProcess, type ServerProcess} from '../helpers/server-process.js'
import {accountFiles, countKeys, createToken, integrityCheck} from '../helpers/server-helpers.js'

const {values} = parseArgs({options: {rounds: {type: 'string', default: '30'}, pairs: {type: 'string', default: '100000'}}})
const rounds = Number(values.rounds)
const pairs = Number(values.pairs)

function runImport(home: string, url: string, token: string, file: string): {done: Promise<{code: number | null; stderr: string; ms: number}>} {
  const started = Date.now()
  const child = spawn(process.execPath, [binPath, 'kv', 'import', '-s', 'victim', file], {env: {...process.env, KVCLOUD_HOME: home, KVCLOUD_URL: url, KVCLOUD_TOKEN: token, NO_COLOR: '1'}})
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  child.stdout.resume()
  return {done: new Promise((resolve) => child.on('close', (code) => resolve({code, stderr, ms: Date.now() - started})))}
}

const admin = tempHome('kvcloud-soak-crash-')
const dataDir = join(admin.home, 'data')
const file = join(admin.home, 'pairs.ndjson')
writeFileSync(file, Array.from({length: pairs}, (_, i) => JSON.stringify({key: `crash-${i}`, value: 'x'.repeat(100)})).join('\n') + '\n')
const start = () => startServerProcess(['--port', '0', '--data', dataDir, '--log-level', 'warn'], {home: admin.home})
const tally = {finished: 0, killedNone: 0, killedAll: 0, killedWhileApplying: 0, partial: 0, integrityFailures: 0, unclearClientErrors: 0}
let server: ServerProcess = await start()
try {
  const {token, accountHome} = createToken(dataDir, 'soak')
  const prepare = async () => {
    const backend = await HttpBackend.connect({url: server.url, token, limits: DEFAULT_LIMITS})
    await backend.deleteStore('victim').catch(() => undefined)
    await backend.createStore('victim')
    await backend.close()
  }
  await prepare()
  const full = await runImport(admin.home, server.url, token, file).done
  if (full.code !== 0) throw new Error(`the reference import failed: ${full.stderr}`)
  let reference = full.ms
  console.log(`reference import of ${pairs} pairs: ${full.ms} ms`)
  for (let round = 1; round <= rounds; round++) {
    await prepare()
    const delay = Math.round(Math.random() * reference * 1.05)
    const url = server.url
    const victim = server
    const run = runImport(admin.home, url, token, file)
    await new Promise((resolve) => setTimeout(resolve, delay))
    await victim.stop('SIGKILL')
    const client = await run.done
    const files = await accountFiles(accountHome, 'victim')
    const applying = existsSync(files.storeFile + '-journal')
    const checks = [files.catalog, files.storeFile, join(dataDir, 'server.db')].map((path) => integrityCheck(path))
    if (checks.some((check) => check !== 'ok')) tally.integrityFailures++
    const count = countKeys(files.storeFile, 'crash-')
    let verdict: string
    if (client.code === 0) {
      tally.finished++
      reference = Math.min(reference, client.ms)
      verdict = count === pairs ? 'finished before the kill, all kept' : `FINISHED BUT ONLY ${count} KEPT`
      if (count !== pairs) tally.partial++
    } else if (count === 0 || count === pairs) {
      if (count === 0) tally.killedNone++
      else tally.killedAll++
      if (applying) tally.killedWhileApplying++
      verdict = `killed${applying ? ' while applying' : ''}, ${count === 0 ? 'none' : 'all'} kept`
      if (client.code !== 1 || !client.stderr.includes(`Cannot reach the kvcloud server at ${url}`) || /\n\s+at /.test(client.stderr)) tally.unclearClientErrors++
    } else {
      tally.partial++
      verdict = `PARTIAL: ${count} of ${pairs}`
    }
    console.log(`round ${round}: kill at ${delay} ms: ${verdict}; integrity ${checks.join('/')}`)
    server = await start()
  }
} finally {
  await server.stop('SIGKILL')
  admin.cleanup()
}
console.log(`\n${rounds} kills: ${JSON.stringify(tally)}`)
process.exitCode = tally.partial === 0 && tally.integrityFailures === 0 && tally.unclearClientErrors === 0 ? 0 : 1
