// The Spin plugin's figures: its size (tarball, executable, the app it unpacks once per build) and
// its start-up, `kvcloud --version`, beside `node bin/run.js --version` on Node 24 (the same Node
// the plugin carries) and on the Node running this script, each run in turn round after round.
// Uses dist/spin-plugin/ (npm run package:spin-plugin), building linux-amd64 there when absent.
// Usage: node --import tsx bench/spin-plugin.ts [--rounds N]
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {folderSize, repoRoot} from '../scripts/pack-install.js'
import {registryNode} from '../scripts/registry-tools.js'
import {buildSpinPlugin} from '../scripts/spin-plugin.js'

const {values: options} = parseArgs({options: {rounds: {type: 'string', default: '21'}}})
const rounds = Number(options.rounds)
const out = join(repoRoot, 'dist', 'spin-plugin')
const root = mkdtempSync(join(tmpdir(), 'kvcloud-bench-plugin-'))
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`
const row = (label: string, value: string) => console.log(`  ${label.padEnd(52)} ${value}`)

function timed(command: string, args: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now()
  execFileSync(command, args, {env, stdio: ['ignore', 'pipe', 'pipe']})
  return performance.now() - started
}

try {
  if (!existsSync(join(out, 'kvcloud.json'))) {
    console.log('dist/spin-plugin/ is empty: building linux-amd64 there')
    await buildSpinPlugin({out, platforms: ['linux-amd64']})
  }
  const tarball = readdirSync(out).find((name) => name.endsWith('-linux-amd64.tar.gz'))!
  const pluginDir = join(root, 'plugin')
  execFileSync('mkdir', ['-p', pluginDir])
  execFileSync('tar', ['-xzf', join(out, tarball), '-C', pluginDir])
  const plugin = join(pluginDir, 'kvcloud')
  const home = join(root, 'home')
  const env = {PATH: '/usr/bin:/bin', HOME: home, KVCLOUD_HOME: home}

  const firstRuns: number[] = []
  for (let round = 0; round < 5; round++) {
    rmSync(join(home, 'cache', 'spin-plugin'), {recursive: true, force: true})
    firstRuns.push(timed(plugin, ['--version'], env))
  }
  const unpacked = folderSize(join(home, 'cache', 'spin-plugin'))

  const node24 = (await registryNode('24')).node
  const runJs = join(repoRoot, 'bin', 'run.js')
  const cases: Record<string, () => number> = {
    'the plugin: kvcloud --version': () => timed(plugin, ['--version'], env),
    [`Node ${execFileSync(node24, ['--version'], {encoding: 'utf8'}).trim()}: node bin/run.js --version`]: () => timed(node24, [runJs, '--version'], env),
    [`Node ${process.version}: node bin/run.js --version`]: () => timed(process.execPath, [runJs, '--version'], env),
  }
  const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, [] as number[]]))
  for (let round = 0; round < rounds; round++) for (const [name, measure] of Object.entries(cases)) samples[name]!.push(measure())

  console.log(`\nSpin plugin ${tarball}`)
  row('tarball (what Spin downloads)', mb(statSync(join(out, tarball)).size))
  row('executable (Node 24 with kvcloud inside)', mb(statSync(plugin).size))
  row('app unpacked once per build into the cache', `${mb(unpacked.bytes)} in ${unpacked.files} files`)
  console.log(`\nStart-up, --version (median of ${rounds}; first run: median of 5)`)
  row('the plugin, first run (unpacks)', `${median(firstRuns).toFixed(0)} ms`)
  for (const [name, values] of Object.entries(samples)) row(name, `${median(values).toFixed(0)} ms`)
} finally {
  rmSync(root, {recursive: true, force: true})
}
