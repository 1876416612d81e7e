// Issue 12's install figures: `npm install -g --ignore-scripts` of the packed tarball with npm 12,
// on Node 22 and on Node 24 (both from the npm registry), into a fresh prefix each round:
//   time with npm's cache warm (the packages downloaded once already; npm still asks the registry
//   whether their metadata changed, as a user's install does) and cold (an empty cache, so every
//   dependency is downloaded), and the size of what lands on disk.
// Usage: node --import tsx bench/install.ts [--rounds N] [--skip-cold]
import {mkdtempSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {folderSize, installGlobally, packTarball} from '../scripts/pack-install.js'
import {registryNode, registryNpm} from '../scripts/registry-tools.js'

const {values: options} = parseArgs({options: {rounds: {type: 'string', default: '3'}, 'skip-cold': {type: 'boolean', default: false}}})
const rounds = Number(options.rounds)
const root = mkdtempSync(join(tmpdir(), 'kvcloud-bench-install-'))
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`
const row = (label: string, value: string) => console.log(`  ${label.padEnd(52)} ${value}`)

try {
  const tarball = await packTarball(root)
  const {npmCli, version: npmVersion} = await registryNpm('12')
  console.log(`\nkvcloud tarball ${mb(statSync(tarball).size)}; npm ${npmVersion}; scripts blocked (--ignore-scripts)`)
  for (const major of ['22', '24']) {
    const {node, version} = await registryNode(major)
    // A first install fills npm's cache, so the warm rounds measure npm's work, not the network.
    const first = await installGlobally(tarball, join(root, `${major}-first`), node, npmCli)
    const warm: number[] = []
    for (let round = 0; round < rounds; round++) {
      const prefix = join(root, `${major}-warm-${round}`)
      warm.push((await installGlobally(tarball, prefix, node, npmCli)).milliseconds)
      rmSync(prefix, {recursive: true, force: true})
    }
    let cold: number | undefined
    if (!options['skip-cold']) {
      const cache = join(root, `${major}-cold-cache`)
      process.env.npm_config_cache = cache
      cold = (await installGlobally(tarball, join(root, `${major}-cold`), node, npmCli)).milliseconds
      delete process.env.npm_config_cache
      rmSync(cache, {recursive: true, force: true})
    }
    const size = folderSize(first.packageDir)
    console.log(`\nNode ${version}`)
    row(`install, npm cache warm (median of ${rounds})`, `${(median(warm) / 1000).toFixed(1)} s`)
    if (cold !== undefined) row('install, npm cache empty (one round, network)', `${(cold / 1000).toFixed(1)} s`)
    row('installed size (lib/node_modules/kvcloud)', `${mb(size.bytes)} in ${size.files} files`)
  }
} finally {
  rmSync(root, {recursive: true, force: true})
}
