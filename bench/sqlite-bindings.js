#!/usr/bin/env node
// The two SQLite bindings side by side, on one Node (22+), in one run:
//   kv get (store of 100,000 keys) and kv import of 100,000 pairs through node:sqlite and
//   through better-sqlite3 (built for that Node), each against `node -e ""` on the same Node;
//   and the same two on the machine's Node 20 with better-sqlite3, as users of 0.1 had them.
// No target may regress on the binding a user gets (node:sqlite on 22+) beyond noise.
// Usage: node bench/sqlite-bindings.js [--rounds N] [--node 24]
// Run from Node 20, it fetches the Node it measures (scripts/registry-tools.ts) and builds
// better-sqlite3 for it once (a few minutes; cached beside that Node).
import {execFileSync, spawnSync} from 'node:child_process'
import {cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {parseArgs} from 'node:util'
import {benchEnv, fmtMs, fmtRatio, interleaved, kvcloudBin, repoRoot, report, tempHome, timeProcess, writePairsFile} from './lib/measure.js'

const {values: options} = parseArgs({options: {rounds: {type: 'string', default: '21'}, node: {type: 'string', default: '24'}}})
const rounds = Number(options.rounds)

const node = execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts', 'registry-tools.ts'), 'node', options.node], {encoding: 'utf8'}).trim()
const nodeBin = dirname(node)
const nodeVersion = execFileSync(node, ['--version'], {encoding: 'utf8'}).trim()
const todayNode = process.execPath
const todayVersion = process.version

/** better-sqlite3, the version kvcloud pins, compiled for `node` against that Node's own headers. */
function betterSqlite3For() {
  const version = JSON.parse(readFileSync(join(repoRoot, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')).version
  const folder = join(dirname(nodeBin), '..', `better-sqlite3-${version}-for-${nodeVersion}`)
  const built = join(folder, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')
  if (!existsSync(built)) {
    console.log(`building better-sqlite3 ${version} for Node ${nodeVersion} (once)...`)
    mkdirSync(folder, {recursive: true})
    writeFileSync(join(folder, 'package.json'), '{"private": true, "allowScripts": {"better-sqlite3": true}}\n')
    const result = spawnSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `better-sqlite3@${version}`], {
      cwd: folder,
      stdio: 'inherit',
      env: {...process.env, PATH: `${nodeBin}:${process.env.PATH}`, npm_config_nodedir: dirname(nodeBin)},
    })
    if (result.status !== 0 || !existsSync(built)) throw new Error(`could not build better-sqlite3 for Node ${nodeVersion}`)
  }
  return join(folder, 'node_modules')
}

/**
 * A copy of the built kvcloud whose node_modules holds better-sqlite3 built for `node`: kvcloud's
 * own files are copied (they find better-sqlite3 from where they are), every other package is a link.
 */
function kvcloudWithAddon(addonModules, into) {
  for (const entry of ['bin', 'dist', 'package.json', 'oclif.manifest.json']) cpSync(join(repoRoot, entry), join(into, entry), {recursive: true})
  mkdirSync(join(into, 'node_modules'))
  for (const entry of readdirSync(join(repoRoot, 'node_modules'))) {
    if (['better-sqlite3', 'bindings', 'file-uri-to-path', '.bin'].includes(entry)) continue
    symlinkSync(join(repoRoot, 'node_modules', entry), join(into, 'node_modules', entry))
  }
  for (const entry of ['better-sqlite3', 'bindings', 'file-uri-to-path']) symlinkSync(join(addonModules, entry), join(into, 'node_modules', entry))
  return join(into, 'bin', 'run.js')
}

const {home, cleanup} = tempHome()
try {
  const addonBin = kvcloudWithAddon(betterSqlite3For(), mkdtempSync(join(home, 'app-')))
  const sides = {
    builtin: {label: `Node ${nodeVersion}, node:sqlite`, node, bin: kvcloudBin, env: {KVCLOUD_SQLITE_BINDING: 'node:sqlite'}},
    addon: {label: `Node ${nodeVersion}, better-sqlite3`, node, bin: addonBin, env: {KVCLOUD_SQLITE_BINDING: 'better-sqlite3'}},
    today: {label: `Node ${todayVersion}, better-sqlite3`, node: todayNode, bin: kvcloudBin, env: {}},
  }
  if (!todayVersion.startsWith('v20.')) delete sides.today
  const run = (side, args) => {
    const result = spawnSync(side.node, [side.bin, ...args], {env: benchEnv(home, side.env), encoding: 'utf8'})
    if (result.status !== 0) throw new Error(`${side.label}: kvcloud ${args.join(' ')} exited ${result.status}: ${result.stderr}`)
    return result.stdout
  }
  for (const side of Object.values(sides)) {
    const status = JSON.parse(run(side, ['status', '--json']))
    if (status.sqlite.binding !== side.env.KVCLOUD_SQLITE_BINDING && side.env.KVCLOUD_SQLITE_BINDING) throw new Error(`${side.label} ran on ${status.sqlite.binding}`)
    side.label += ` (SQLite ${status.sqlite.version})`
  }

  const hundredK = join(home, 'pairs-100k.json')
  writePairsFile(hundredK, 100_000, {format: 'json'})
  run(sides.builtin, ['kv', 'create', 'bench'])
  run(sides.builtin, ['kv', 'import', '-s', 'bench', hundredK])

  const getCases = {}
  for (const [name, side] of Object.entries(sides)) {
    getCases[`${name}Empty`] = () => timeProcess(side.node, ['-e', ''])
    getCases[name] = () => timeProcess(side.node, [side.bin, 'kv', 'get', '-s', 'bench', 'key-0054321'], {env: benchEnv(home, side.env)})
  }
  const get = interleaved(getCases, rounds)
  report(`kv get, store of 100,000 keys (median of ${rounds}; each ratio against node -e "" on the same Node)`, [
    ...Object.entries(sides).map(([name, side]) => [side.label, `${fmtMs(get[name])}  ${fmtRatio(get[name] / get[`${name}Empty`])} of node -e "" (${fmtMs(get[`${name}Empty`])})`]),
    ['node:sqlite / better-sqlite3 on the same Node', fmtRatio(get.builtin / get.addon)],
  ])

  const importRounds = Math.max(3, Math.min(rounds, 7))
  const importCases = {}
  for (const [name, side] of Object.entries(sides)) {
    importCases[name] = (round) => {
      run(side, ['kv', 'create', `imp-${name}-${round}`])
      return timeProcess(side.node, [side.bin, 'kv', 'import', '-s', `imp-${name}-${round}`, hundredK], {env: benchEnv(home, side.env)})
    }
  }
  const imp = interleaved(importCases, importRounds)
  report(`kv import of 100,000 pairs, 100-byte values, JSON array (median of ${importRounds}; whole process)`, [
    ...Object.entries(sides).map(([name, side]) => [side.label, fmtMs(imp[name])]),
    ['node:sqlite / better-sqlite3 on the same Node', fmtRatio(imp.builtin / imp.addon)],
  ])
} finally {
  cleanup()
}
