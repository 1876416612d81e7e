// Soak: the kvcloud server stopped with SIGTERM while many clients write, N rounds on one data
// folder. Each round restarts the server, checks that every acknowledged write is on disk and
// sorts what the other requests saw. Prints one line per round and the totals; exits 1 if any
// acknowledged write is missing.
//   npm run build && node --import tsx test/soak/server-restart-soak.ts [--rounds 20] [--writers 40]
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {HttpBackend} from '../../src/lib/http/http-backend.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'
import {tempHome} from '../helpers/cli.js'
import {startServerProcess} from '../helpers/server-process.js'
import {createToken} from '../helpers/server-helpers.js'
import {summarize, valueOf, writeThroughStop} from '../stress/server-load.js'

const {values} = parseArgs({options: {rounds: {type: 'string', default: '20'}, writers: {type: 'string', default: '40'}}})
const rounds = Number(values.rounds)
const writers = Number(values.writers)

const admin = tempHome('kvcloud-soak-restart-')
const dataDir = join(admin.home, 'data')
const start = () => startServerProcess(['--port', '0', '--data', dataDir, '--log-level', 'warn'], {home: admin.home})
const totals: Record<string, number> = {}
let lost = 0
let storedAnyway = 0
let exitOk = 0
const stopTimes: number[] = []

try {
  let server = await start()
  const {token} = createToken(dataDir, 'soak')
  for (let round = 1; round <= rounds; round++) {
    const setup = await HttpBackend.connect({url: server.url, token, limits: DEFAULT_LIMITS})
    await setup.deleteStore('load').catch(() => undefined)
    await setup.createStore('load')
    await setup.close()

    const result = await writeThroughStop(server, token, {writers, stopAfterMs: 500 + Math.round(Math.random() * 1500)})
    if (result.exitCode === 0) exitOk++
    stopTimes.push(result.stopMs)
    server = await start()
    const reader = await HttpBackend.connect({url: server.url, token, limits: DEFAULT_LIMITS})
    const stored = new Map<string, Buffer>()
    for await (const pair of reader.exportPairs({store: 'load'})) stored.set(pair.key, Buffer.from(pair.value))
    await reader.close()

    const missing = result.outcomes.filter((o) => o.acknowledged && !stored.get(o.key)?.equals(valueOf(o.key))).length
    const importMissing = result.importOutcome.acknowledged ? result.importedKeys.filter((key) => !stored.has(key)).length : 0
    const importPartial = !result.importOutcome.acknowledged && result.importedKeys.some((key) => stored.has(key))
    lost += missing + importMissing + (importPartial ? 1 : 0)
    const anyway = result.outcomes.filter((o) => !o.acknowledged && stored.has(o.key)).length
    storedAnyway += anyway
    const counts = summarize(result)
    for (const [kind, n] of Object.entries(counts)) totals[kind] = (totals[kind] ?? 0) + n
    console.log(`round ${round}: exit ${result.exitCode}, stop ${result.stopMs} ms; ${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ')}; ` +
      `import ${result.importOutcome.acknowledged ? 'acknowledged' : `failed (${result.importOutcome.error})`}; lost ${missing + importMissing}; unacknowledged but stored ${anyway}`)
  }
  await server.stop('SIGTERM')
} finally {
  admin.cleanup()
}

stopTimes.sort((a, b) => a - b)
console.log(`\n${rounds} rounds, ${writers} writers and one import each:`)
console.log(`  clean exits (0) on SIGTERM: ${exitOk}/${rounds}; stop time median ${stopTimes[Math.floor(stopTimes.length / 2)]} ms, max ${stopTimes.at(-1)} ms`)
console.log(`  ${Object.entries(totals).map(([k, n]) => `${n} ${k}`).join(', ')}`)
console.log(`  acknowledged but lost: ${lost}; unacknowledged but stored anyway: ${storedAnyway}`)
process.exitCode = lost === 0 && exitOk === rounds ? 0 : 1
