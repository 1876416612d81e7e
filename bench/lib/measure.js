// Shared by the bench scripts: run whole processes, time them, and report medians side by side.
import {spawn, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const kvcloudBin = join(repoRoot, 'bin', 'run.js')
const rssReporter = join(repoRoot, 'bench', 'lib', 'report-rss.js')

export function tempHome(prefix = 'kvcloud-bench-') {
  const home = mkdtempSync(join(tmpdir(), prefix))
  return {home, cleanup: () => rmSync(home, {recursive: true, force: true})}
}

export function benchEnv(home, extra = {}) {
  const env = {...process.env, KVCLOUD_HOME: home, NO_COLOR: '1', ...extra}
  delete env.KVCLOUD_URL
  delete env.KVCLOUD_TOKEN
  delete env.FORCE_COLOR
  // Every bench talks to loopback: a proxy set on the machine would measure the proxy.
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY']) {
    if (!(name in extra)) delete env[name]
    if (!(name.toLowerCase() in extra)) delete env[name.toLowerCase()]
  }
  return env
}

/** Runs kvcloud and fails loudly if it does; returns stdout. */
export function kvcloud(args, {home, env = {}, input} = {}) {
  const result = spawnSync(process.execPath, [kvcloudBin, ...args], {env: benchEnv(home, env), input, maxBuffer: 1 << 30})
  if (result.status !== 0) {
    throw new Error(`kvcloud ${args.join(' ')} exited ${result.status}: ${result.stderr}`)
  }
  return result.stdout
}

/** Wall time of one whole process, in milliseconds. */
export function timeProcess(command, args, options = {}) {
  const start = process.hrtime.bigint()
  const result = spawnSync(command, args, {stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 30, ...options})
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`)
  return ms
}

/** Peak resident memory (MB) of a kvcloud process, reported by the process itself as it exits. */
export async function peakRssMb(args, {home, env = {}, quiet = false}) {
  const reportFile = join(home, `rss-${Date.now()}.txt`)
  await new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', rssReporter, kvcloudBin, ...args], {
      env: benchEnv(home, {...env, KVCLOUD_BENCH_RSS_FILE: reportFile}),
      // quiet: the command's own summary line stays out of the bench's report.
      stdio: ['ignore', 'ignore', quiet ? 'ignore' : 'inherit'],
    })
    child.on('close', (code) => (code === 0 ? resolvePromise() : reject(new Error(`kvcloud ${args.join(' ')} exited ${code}`))))
  })
  const {readFileSync} = await import('node:fs')
  return Number(readFileSync(reportFile, 'utf8')) / 1024
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

/**
 * Runs each named case in turn, round after round, so both sides of a ratio share the
 * machine's moment; returns the median of each.
 */
export function interleaved(cases, rounds) {
  const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]))
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(cases)) samples[name].push(run(round))
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]))
}

export function writePairsFile(path, count, {format = 'ndjson', valueBytes = 100, keyPrefix = 'key'} = {}) {
  const value = 'v'.repeat(valueBytes)
  const lines = []
  for (let i = 0; i < count; i++) lines.push(JSON.stringify({key: `${keyPrefix}-${String(i).padStart(7, '0')}`, value}))
  writeFileSync(path, format === 'ndjson' ? lines.join('\n') + '\n' : `[${lines.join(',\n')}]\n`)
}

export function report(title, rows) {
  console.log(`\n${title}`)
  for (const [label, value] of rows) console.log(`  ${label.padEnd(52)} ${value}`)
}

export const fmtMs = (ms) => `${ms.toFixed(1)} ms`
export const fmtRatio = (r) => `${r.toFixed(2)}x`
export const verdict = (ok) => (ok ? 'PASS' : 'FAIL')

/** Writes `dir`/spin.toml: app `name`, one component whose key_value_stores are `labels`. Returns `dir`. */
export function writeSpinApp(dir, name, labels) {
  mkdirSync(dir, {recursive: true})
  writeFileSync(join(dir, 'spin.toml'), [
    'spin_manifest_version = 2',
    '',
    '[application]',
    `name = "${name}"`,
    'version = "0.1.0"',
    '',
    '[[trigger.http]]',
    'route = "/..."',
    'component = "web"',
    '',
    '[component.web]',
    'source = "web.wasm"',
    `key_value_stores = ${JSON.stringify(labels)}`,
    '',
  ].join('\n'))
  return dir
}
