#!/usr/bin/env node
// Issue 4's import target: `kvcloud kv import` of 100,000 pairs (100-byte values) to the remote
// backend, whole process (start-up, reading the file, sending, the server's answer), against a
// real kvcloud server in its own process.  Target: median wall under 3 s.
// `kv import` to the local backend is measured in the same run for comparison.
// Usage: node bench/remote-import.js [--rounds N]
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {benchEnv, fmtMs, interleaved, kvcloud, kvcloudBin, report, tempHome, timeProcess, verdict, writePairsFile} from './lib/measure.js'
import {startKvcloudServer} from './lib/server-process.js'

const {values: options} = parseArgs({options: {rounds: {type: 'string', default: '7'}}})
const rounds = Number(options.rounds)
const {home, cleanup} = tempHome()
const node = process.execPath
let server

try {
  server = await startKvcloudServer(home)
  // The way a user gets there: log in once, then every command uses the server.
  kvcloud(['login', '--url', server.url, '--token', server.token], {home})
  const env = benchEnv(home)
  const pairs = join(home, 'pairs-100k.json')
  writePairsFile(pairs, 100_000, {format: 'json'})

  const times = interleaved({
    nodeEmpty: () => timeProcess(node, ['-e', ''], {env}),
    remoteImport: (round) => {
      kvcloud(['kv', 'create', `remote-${round}`], {home})
      return timeProcess(node, [kvcloudBin, 'kv', 'import', '-s', `remote-${round}`, pairs], {env})
    },
    localImport: (round) => {
      kvcloud(['kv', 'create', `local-${round}`, '--local'], {home})
      return timeProcess(node, [kvcloudBin, 'kv', 'import', '--local', '-s', `local-${round}`, pairs], {env})
    },
  }, rounds)

  // The last remote store holds every pair.
  const keys = JSON.parse(kvcloud(['kv', 'keys', '-s', `remote-${rounds - 1}`, '--json', '--limit', '10000'], {home}).toString())
  const count = Array.isArray(keys) ? keys.length : (keys.keys ?? keys.items ?? []).length
  report(`kv import of 100,000 pairs, 100-byte values, JSON array (median of ${rounds})`, [
    ['node -e ""', fmtMs(times.nodeEmpty)],
    ['kvcloud kv import, local backend (for comparison)', fmtMs(times.localImport)],
    ['kvcloud kv import, remote backend (whole process)', fmtMs(times.remoteImport)],
    ['remote: target under 3000 ms', verdict(times.remoteImport < 3000)],
    ['remote store answers a page of 10,000 keys afterwards', count === 10_000 ? 'yes' : `no (${count})`],
  ])
} finally {
  await server?.stop()
  cleanup()
}
