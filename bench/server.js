#!/usr/bin/env node
// Issue 4's server target, measured side by side in one run: `GET` of one pair from a real
// kvcloud server (its own process, logging one line per request to a file, token checked on every
// request) against a bare Fastify 5 route returning a constant (its own process, no logging),
// both loaded by autocannon at 50 connections, alternating, round after round.
//   throughput at least 60% of bare Fastify's; p99 latency under 10 ms
// A third server, the "floor" (bench/lib/floor-server.js), is bare Fastify plus only the work a
// kvcloud GET must do (token hash, one revocation check, one Spin-format read, one log line):
// the best any implementation of these requirements could do on this machine.
// Usage: node bench/server.js [--rounds N] [--seconds S] [--connections C]
import {readFileSync} from 'node:fs'
import {cpus, loadavg} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import autocannon from 'autocannon'
import {fmtMs, fmtRatio, median, repoRoot, report, tempHome, verdict} from './lib/measure.js'
import {startKvcloudServer, startScript} from './lib/server-process.js'

const {values: options} = parseArgs({
  options: {
    rounds: {type: 'string', default: '5'},
    seconds: {type: 'string', default: '5'},
    connections: {type: 'string', default: '50'},
  },
})
const rounds = Number(options.rounds)
const duration = Number(options.seconds)
const connections = Number(options.connections)
const {home, cleanup} = tempHome()
const servers = []

function load(url, headers, seconds = duration) {
  return autocannon({url, connections, duration: seconds, headers})
}

async function api(method, url, headers, body) {
  const response = await fetch(url, {method, headers, body})
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`)
}

/** CPU time (ms) a process has used so far, where /proc tells (Linux); undefined elsewhere. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100 // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return undefined
  }
}

async function measure(name, server, run) {
  const before = cpuMs(server.pid)
  const result = await run()
  const after = cpuMs(server.pid)
  const failed = result.errors + result.timeouts + result.non2xx
  if (failed > 0) throw new Error(`${name}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`)
  const cpuPerRequest = before === undefined || after === undefined ? undefined : ((after - before) * 1000) / result.requests.total
  return {rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, cpu: cpuPerRequest}
}

const conditions = () => `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`

try {
  const kv = await startKvcloudServer(home)
  servers.push(kv)
  const bare = await startScript(join(repoRoot, 'bench', 'lib', 'bare-fastify.js'))
  servers.push(bare)
  const floor = await startScript(join(repoRoot, 'bench', 'lib', 'floor-server.js'))
  servers.push(floor)

  const auth = {authorization: `Bearer ${kv.token}`}
  await api('POST', `${kv.url}/api/key-value-stores/bench`, {...auth, 'content-type': 'application/json'}, 'null')
  await api('PUT', `${kv.url}/api/key-value-stores/bench/keys/greeting`, {...auth, 'content-type': 'application/octet-stream'}, 'hello, world')
  const cases = {
    kvcloud: [kv, () => load(`${kv.url}/api/key-value-stores/bench/keys/greeting`, auth)],
    bare: [bare, () => load(`${bare.url}/constant`, {})],
    floor: [floor, () => load(`${floor.url}/api/key-value-stores/bench/keys/greeting`, auth)],
  }
  const startConditions = conditions()
  // Warm all three up (JIT, caches, connection setup) before anything counts.
  await load(`${kv.url}/api/key-value-stores/bench/keys/greeting`, auth, 2)
  await load(`${bare.url}/constant`, {}, 2)
  await load(`${floor.url}/api/key-value-stores/bench/keys/greeting`, auth, 2)

  const samples = {kvcloud: [], bare: [], floor: []}
  for (let round = 0; round < rounds; round++) {
    for (const [name, [server, run]] of Object.entries(cases)) samples[name].push(await measure(name, server, run))
    const [k, b, f] = [samples.kvcloud.at(-1), samples.bare.at(-1), samples.floor.at(-1)]
    console.log(`round ${round + 1}: kvcloud ${k.rps.toFixed(0)} req/s p99 ${k.p99} ms | bare ${b.rps.toFixed(0)} req/s p99 ${b.p99} ms | floor ${f.rps.toFixed(0)} req/s p99 ${f.p99} ms | kvcloud/bare ${(k.rps / b.rps * 100).toFixed(0)}%`)
  }
  const summary = (name) => ({
    rps: median(samples[name].map((s) => s.rps)),
    p50: median(samples[name].map((s) => s.p50)),
    p99: median(samples[name].map((s) => s.p99)),
    cpu: samples[name][0].cpu === undefined ? undefined : median(samples[name].map((s) => s.cpu)),
  })
  const cpu = (s) => (s.cpu === undefined ? '' : `, server CPU ${s.cpu.toFixed(0)} µs/request`)
  const k = summary('kvcloud')
  const b = summary('bare')
  const f = summary('floor')
  const ratio = median(samples.kvcloud.map((s, i) => s.rps / samples.bare[i].rps))
  const floorRatio = median(samples.floor.map((s, i) => s.rps / samples.bare[i].rps))
  const ofFloor = median(samples.kvcloud.map((s, i) => s.rps / samples.floor[i].rps))
  report(`GET of one pair, ${connections} connections, ${duration} s per run, median of ${rounds} alternating rounds`, [
    ['bare Fastify 5 (constant route)', `${b.rps.toFixed(0)} req/s, p50 ${fmtMs(b.p50)}, p99 ${fmtMs(b.p99)}${cpu(b)}`],
    ['kvcloud GET of one pair', `${k.rps.toFixed(0)} req/s, p50 ${fmtMs(k.p50)}, p99 ${fmtMs(k.p99)}${cpu(k)}`],
    ['floor (bare + the work a GET cannot skip)', `${f.rps.toFixed(0)} req/s, p50 ${fmtMs(f.p50)}, p99 ${fmtMs(f.p99)}${cpu(f)}`],
    ['kvcloud / bare throughput (target at least 0.60)', `${fmtRatio(ratio)}  ${verdict(ratio >= 0.6)}`],
    ['kvcloud p99 (target under 10 ms)', `${fmtMs(k.p99)}  ${verdict(k.p99 < 10)}`],
    ['floor / bare throughput', fmtRatio(floorRatio)],
    ['kvcloud / floor throughput', fmtRatio(ofFloor)],
    ['machine', `${cpus().length} cores, node ${process.version}; before: ${startConditions}; after: ${conditions()}`],
  ])
} finally {
  for (const server of servers) await server.stop()
  cleanup()
}
