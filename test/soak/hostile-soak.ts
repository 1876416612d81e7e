// Soak: the seven attacks of issue 11 ("the server under hostile clients"), each longer and
// bigger than its test in test/stress/, on the real binary where it matters. Prints figures per
// section; exits 1 when one of them breaks what the server promises (a lock-out, a write after
// revocation, a U+FFFD stored, memory not bounded, a false 404, anything acknowledged lost).
//   npm run build && node --import tsx test/soak/hostile-soak.ts [--seconds 60] [--rounds 20] [--big 900]
// Linux only (reads /proc).
import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {parseArgs} from 'node:util'
import {Pool} from 'undici'
import {KvError} from '../../src/lib/errors.js'
import {HttpBackend} from '../../src/lib/http/http-backend.js'
import {AccountRegistry} from '../../src/lib/sqlite/accounts.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'
import {tempHome} from '../helpers/cli.js'
import {bigPairs, droppingProxy, freshConnectionAnswers, rssSampler, slowHeaders, trickle} from '../stress/hostile-helpers.js'
import {startServerProcess, type ServerProcess} from '../helpers/server-process.js'
import {createToken} from '../helpers/server-helpers.js'

const {values} = parseArgs({
  options: {seconds: {type: 'string', default: '60'}, rounds: {type: 'string', default: '20'}, big: {type: 'string', default: '900'}},
})
const seconds = Number(values.seconds)
const rounds = Number(values.rounds)
const bigMiB = Number(values.big)
const problems: string[] = []
const home = tempHome('kvcloud-soak-hostile-')

async function withServer<T>(name: string, args: string[], work: (server: ServerProcess, dataDir: string) => Promise<T>, descriptorLimit?: number): Promise<T> {
  const dataDir = join(home.home, name)
  const server = await startServerProcess(['--port', '0', '--data', dataDir, '--log-level', 'warn', ...args], {home: home.home, descriptorLimit})
  try {
    return await work(server, dataDir)
  } finally {
    const {exitCode, stderr} = await server.stop('SIGTERM')
    if (exitCode !== 0) problems.push(`${name}: the server exited ${exitCode}: ${stderr}`)
  }
}

const openDescriptors = (server: ServerProcess) => readdirSync(`/proc/${server.child.pid}/fd`).length
const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)] ?? 0

try {
  // 1. Slow-header sockets beside a client that opens a new connection every 0.5 s.
  await withServer('slowloris', [], async (server, dataDir) => {
    const {token} = createToken(dataDir, 'legit')
    const attack = slowHeaders(server.url, 1000)
    const started = Date.now()
    const outcomes: Array<Promise<{ok: boolean; ms: number; second: number}>> = []
    let peakDescriptors = 0
    await sleep(1000)
    while (Date.now() - started < seconds * 1000) {
      const at = Date.now()
      outcomes.push(freshConnectionAnswers(server.url, token).then((ok) => ({ok, ms: Date.now() - at, second: Math.floor((at - started) / 1000)})))
      peakDescriptors = Math.max(peakDescriptors, openDescriptors(server))
      await sleep(500)
    }
    const results = await Promise.all(outcomes)
    attack.stop()
    const answered = results.filter((result) => result.ok)
    // Per 10-second window, so that a bad stretch is not hidden in the total.
    const windows = new Map<number, {ok: number; all: number}>()
    for (const result of results) {
      const window = windows.get(Math.floor(result.second / 10)) ?? {ok: 0, all: 0}
      window.all++
      if (result.ok) window.ok++
      windows.set(Math.floor(result.second / 10), window)
    }
    const worstWindow = Math.min(...[...windows.values()].map((window) => window.ok / window.all))
    console.log(`1. slowloris, ${seconds} s: ${answered.length} of ${results.length} fresh connections answered ` +
      `(worst 10 s window ${(worstWindow * 100).toFixed(0)}%), median ${median(answered.map((r) => r.ms))} ms, slowest ${Math.max(...answered.map((r) => r.ms))} ms; ` +
      `the attacker opened ${attack.opened} connections; the server held at most ${peakDescriptors} descriptors`)
    if (worstWindow < 0.9) problems.push(`slowloris: only ${(worstWindow * 100).toFixed(0)}% answered in a 10 s window`)
  })

  // 2. Many busy accounts under a low descriptor limit.
  await withServer('descriptors', ['--max-connections', '50'], async (server, dataDir) => {
    const accounts = 16
    const stores = 40
    const clients = await Promise.all(Array.from({length: accounts}, (_, a) =>
      HttpBackend.connect({url: server.url, token: createToken(dataDir, `busy${a}`).token, limits: DEFAULT_LIMITS})))
    let failures = 0
    let peak = 0
    const started = Date.now()
    await Promise.all(clients.map(async (client, a) => {
      for (let s = 0; s < stores; s++) {
        try {
          await client.createStore(`s${s}`)
          await client.setValues({store: `s${s}`}, [{key: 'k', value: Buffer.from(`${a}-${s}`)}])
        } catch {
          failures++
        }
        peak = Math.max(peak, openDescriptors(server))
      }
    }))
    let wrong = 0
    for (let round = 0; round < 2; round++) {
      for (let a = 0; a < accounts; a++) {
        for (let s = 0; s < stores; s++) {
          const value = await clients[a]!.getValue({store: `s${s}`}, 'k').then((bytes) => Buffer.from(bytes).toString(), () => undefined)
          if (value !== `${a}-${s}`) wrong++
          peak = Math.max(peak, openDescriptors(server))
        }
      }
    }
    await Promise.all(clients.map((client) => client.close()))
    console.log(`2. descriptors, ulimit -n 256: ${accounts} accounts x ${stores} stores created and written in ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
      `${failures} failures; read back twice, ${wrong} wrong or missing; at most ${peak} descriptors open`)
    if (failures > 0 || wrong > 0 || peak >= 256) problems.push(`descriptors: ${failures} failures, ${wrong} wrong, peak ${peak}`)
  }, 256)

  // 3. Revocation while an import streams.
  await withServer('revoke', [], async (server, dataDir) => {
    const admin = createToken(dataDir, 'victim').token
    const adminClient = await HttpBackend.connect({url: server.url, token: admin, limits: DEFAULT_LIMITS})
    await adminClient.createStore('data')
    const pool = new Pool(server.url)
    const statuses: Record<number, number> = {}
    const delays: number[] = []
    let linesAfter = 0
    for (let round = 0; round < rounds; round++) {
      const leaked = createToken(dataDir, 'victim')
      const revokeAt = 200 + Math.floor(Math.random() * 3000)
      let revokedAt = 0
      const body = trickle(`r${round}-`, 4000, 1, (line) => {
        if (revokedAt) linesAfter++
        if (line === revokeAt) {
          const registry = AccountRegistry.open(dataDir)
          registry.revokeToken(leaked.id)
          registry.close()
          revokedAt = Date.now()
        }
      })
      const response = await pool.request({
        method: 'POST', path: '/api/key-value-stores/data/import', body,
        headers: {authorization: `Bearer ${leaked.token}`, 'content-type': 'application/x-ndjson'},
      })
      await response.body.dump()
      delays.push(Date.now() - revokedAt)
      statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1
    }
    const applied = (await adminClient.listKeys({store: 'data'})).items.length
    await pool.close()
    await adminClient.close()
    console.log(`3. revocation: ${rounds} imports revoked at a random line: answers ${JSON.stringify(statuses)}; ` +
      `${applied} pairs applied; answer came a median ${median(delays)} ms (at most ${Math.max(...delays)} ms) after the revoke, ` +
      `${Math.round(linesAfter / rounds)} lines sent after it on average`)
    if (applied > 0 || statuses[401] !== rounds) problems.push(`revocation: ${applied} applied, ${JSON.stringify(statuses)}`)
  })

  // 4. Bytes that are not UTF-8, and lone surrogates, at random places.
  await withServer('utf8', [], async (server, dataDir) => {
    const {token} = createToken(dataDir, 'fuzz')
    const pool = new Pool(server.url)
    const headers = {authorization: `Bearer ${token}`}
    await (await pool.request({method: 'POST', path: '/api/key-value-stores/data', headers: {...headers, 'content-type': 'application/json'}, body: 'null'})).body.dump()
    const bad = [[0xff], [0xfe], [0x80], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]]
    const statuses: Record<string, number> = {}
    const requests = rounds * 50
    for (let i = 0; i < requests; i++) {
      const lone = Math.random() < 0.25
      const bytes = Buffer.from(bad[Math.floor(Math.random() * bad.length)]!)
      const inKey = Math.random() < 0.5
      const plain = `k${i}-${'x'.repeat(Math.floor(Math.random() * 50))}`
      const cut = Math.floor(Math.random() * plain.length)
      const field = (text: string, poisoned: boolean) => poisoned
        ? (lone ? Buffer.from(`"${text.slice(0, cut)}\\udc${(0x80 + (i % 64)).toString(16)}${text.slice(cut)}"`) : Buffer.concat([Buffer.from(`"${text.slice(0, cut)}`), bytes, Buffer.from(`${text.slice(cut)}"`)]))
        : Buffer.from(JSON.stringify(text))
      const pair = Buffer.concat([Buffer.from('{"key":'), field(plain, inKey), Buffer.from(',"value":'), field(plain, !inKey), Buffer.from('}')])
      const route = i % 3
      const [path, contentType, body] = route === 0
        ? ['/api/key-value-stores/data/pairs', 'application/json', Buffer.concat([Buffer.from('{"pairs":[{"key":"fine","value":"v"},'), pair, Buffer.from(']}')])]
        : route === 1
          ? ['/api/key-value-pairs', 'application/json', Buffer.concat([Buffer.from('{"storeName":"data",'), pair.subarray(1)])]
          : ['/api/key-value-stores/data/import', 'application/x-ndjson', Buffer.concat([Buffer.from('{"key":"fine","value":"v"}\n'), pair, Buffer.from('\n')])]
      const response = await pool.request({method: 'POST', path, headers: {...headers, 'content-type': contentType}, body})
      const text = await response.body.text()
      const named = /UTF-8/.test(text)
      const kind = `${response.statusCode}${named ? '' : ' (not naming UTF-8)'}`
      statuses[kind] = (statuses[kind] ?? 0) + 1
    }
    const list = await pool.request({method: 'GET', path: '/api/key-value-stores/data/keys', headers})
    const stored = (await list.body.json() as {keys: string[]}).keys.length
    await pool.close()
    console.log(`4. invalid UTF-8: ${requests} poisoned bodies over /pairs, /key-value-pairs and /import: answers ${JSON.stringify(statuses)}; ${stored} keys stored`)
    if (stored > 0 || statuses['400'] !== requests) problems.push(`utf8: ${JSON.stringify(statuses)}, ${stored} stored`)
  })

  // 5. and 6. Import memory, and imports side by side.
  await withServer('memory', [], async (server, dataDir) => {
    const rss = rssSampler(server)
    const clients = await Promise.all(['one', 'two'].map(async (account) => {
      const client = await HttpBackend.connect({url: server.url, token: createToken(dataDir, account).token, limits: DEFAULT_LIMITS})
      await client.createStore('big')
      return client
    }))
    await clients[0]!.importPairs({store: 'big'}, bigPairs('warm', 16))
    const baseline = rss.now()
    let started = Date.now()
    const single = await rss.peakSince(() => clients[0]!.importPairs({store: 'big'}, bigPairs('one', bigMiB)))
    const singleSeconds = (Date.now() - started) / 1000
    const afterSingle = rss.now()
    started = Date.now()
    const both = await rss.peakSince(() => Promise.all(clients.map((client, i) => client.importPairs({store: 'big'}, bigPairs(`both${i}`, bigMiB)))))
    const bothSeconds = (Date.now() - started) / 1000
    await sleep(2000)
    const after = rss.now()
    console.log(`5. import memory: RSS ${baseline.toFixed(0)} MB before; ${bigMiB} pairs of 1 MiB: peak ${single.toFixed(0)} MB ` +
      `(${singleSeconds.toFixed(1)} s), ${afterSingle.toFixed(0)} MB after; two accounts at once: peak ${both.toFixed(0)} MB (${bothSeconds.toFixed(1)} s); ` +
      `${after.toFixed(0)} MB 2 s after`)
    if (single - baseline > 200 || both - baseline > 300 || after - baseline > 150) problems.push('import memory not bounded')

    // 6. One trickling import and seven quick ones into other stores of the same account.
    const team = await HttpBackend.connect({url: server.url, token: createToken(dataDir, 'team').token, limits: DEFAULT_LIMITS})
    for (let s = 0; s < 8; s++) await team.createStore(`s${s}`)
    const trickling = (async () => {
      const at = Date.now()
      await team.importPairs({store: 's0'}, (async function* () {
        for (let i = 0; i < 50; i++) {
          yield [{key: `slow${i}`, value: Buffer.from('v')}]
          await sleep(100)
        }
      })())
      return Date.now() - at
    })()
    await sleep(200)
    const quick = await Promise.all(Array.from({length: 7}, async (_, s) => {
      const at = Date.now()
      await team.importPairs({store: `s${s + 1}`}, (async function* () {
        for (let b = 0; b < 10; b++) yield Array.from({length: 1000}, (_, i) => ({key: `q${b}-${i}`, value: Buffer.alloc(100, 97)}))
      })())
      return Date.now() - at
    }))
    const second = await team.importPairs({store: 's0'}, (async function* () {
      yield [{key: 'second', value: Buffer.from('v')}]
    })()).then(() => 'waited and ran', (error: unknown) => (error instanceof KvError ? `${error.kind}: ${error.message}` : String(error)))
    const slowMs = await trickling
    console.log(`6. imports side by side: 7 imports of 10,000 pairs into other stores took ${Math.min(...quick)} to ${Math.max(...quick)} ms ` +
      `while one trickled for ${slowMs} ms into s0; a second import into s0 meanwhile: ${second}`)
    if (Math.max(...quick) >= slowMs) problems.push('imports into other stores waited for the trickling one')
    await Promise.all([...clients, team].map((client) => client.close()))
  })

  // 7. DELETEs whose answers are lost.
  await withServer('deletes', [], async (server, dataDir) => {
    const proxy = await droppingProxy(server.url)
    const client = await HttpBackend.connect({url: proxy.url, token: createToken(dataDir, 'dropped').token, limits: DEFAULT_LIMITS, retries: {minTimeoutMs: 10}})
    const outcomes: Record<string, number> = {}
    for (let round = 0; round < rounds * 5; round++) {
      await client.createStore(`d${round}`)
      if (round % 2 === 0) proxy.dropNextAnswerTo('DELETE')
      const outcome = await client.deleteStore(`d${round}`).then(() => 'deleted', (error: unknown) => (error instanceof KvError ? error.kind : String(error)))
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
    }
    const left = (await client.listStores()).items.length
    await client.close()
    await proxy.close()
    console.log(`7. lost DELETE answers: ${rounds * 5} deletes, every other answer dropped: ${JSON.stringify(outcomes)}; ${left} stores left`)
    if (outcomes['not-found'] || left > 0) problems.push(`deletes: ${JSON.stringify(outcomes)}, ${left} left`)
  })
} finally {
  home.cleanup()
}

if (problems.length > 0) {
  console.log(`\n${problems.length} problem(s):\n${problems.join('\n')}`)
  process.exitCode = 1
} else {
  console.log('\nno problems')
}
