#!/usr/bin/env node
// Issue 2's targets on the local backend, measured side by side in one run:
//   kv get (store of 100,000 keys) vs `node -e ""`    -> median ratio at most 2.5
//   kv import of 100,000 pairs, 100-byte values        -> median wall at most 1.0 s
//   kv import of 1,000,000 pairs as NDJSON             -> peak memory under 200 MB
// Usage: node bench/kv-local.js [--rounds N] [--skip-million]
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {benchEnv, fmtMs, fmtRatio, interleaved, kvcloud, kvcloudBin, peakRssMb, report, tempHome, timeProcess, verdict, writePairsFile} from './lib/measure.js'

const {values: options} = parseArgs({options: {rounds: {type: 'string', default: '21'}, 'skip-million': {type: 'boolean', default: false}}})
const rounds = Number(options.rounds)
const {home, cleanup} = tempHome()
const env = benchEnv(home)
const node = process.execPath

try {
  // A store of 100,000 keys.
  const hundredK = join(home, 'pairs-100k.json')
  writePairsFile(hundredK, 100_000, {format: 'json'})
  kvcloud(['kv', 'create', 'bench'], {home})
  kvcloud(['kv', 'import', '-s', 'bench', hundredK], {home})

  const get = interleaved({
    nodeEmpty: () => timeProcess(node, ['-e', '']),
    kvGet: () => timeProcess(node, [kvcloudBin, 'kv', 'get', '-s', 'bench', 'key-0054321'], {env}),
  }, rounds)
  const getRatio = get.kvGet / get.nodeEmpty
  report(`kv get, store of 100,000 keys (median of ${rounds})`, [
    ['node -e ""', fmtMs(get.nodeEmpty)],
    ['kvcloud kv get -s bench key-0054321', fmtMs(get.kvGet)],
    ['ratio (target at most 2.5x)', `${fmtRatio(getRatio)}  ${verdict(getRatio <= 2.5)}`],
  ])

  const importRounds = Math.max(3, Math.min(rounds, 7))
  const imp = interleaved({
    kvImport: (round) => {
      kvcloud(['kv', 'create', `imp-${round}`], {home})
      return timeProcess(node, [kvcloudBin, 'kv', 'import', '-s', `imp-${round}`, hundredK], {env})
    },
  }, importRounds)
  report(`kv import of 100,000 pairs, 100-byte values, JSON array (median of ${importRounds})`, [
    ['kvcloud kv import (whole process)', fmtMs(imp.kvImport)],
    ['target at most 1000 ms', verdict(imp.kvImport <= 1000)],
  ])

  if (!options['skip-million']) {
    const million = join(home, 'pairs-1m.ndjson')
    writePairsFile(million, 1_000_000, {format: 'ndjson'})
    kvcloud(['kv', 'create', 'million'], {home})
    const start = Date.now()
    const peak = await peakRssMb(['kv', 'import', '-s', 'million', million], {home})
    const seconds = (Date.now() - start) / 1000
    const count = kvcloud(['kv', 'keys', '-s', 'million', '--json', '--limit', '1'], {home})
    report('kv import of 1,000,000 pairs as NDJSON', [
      ['peak resident memory', `${peak.toFixed(1)} MB  ${verdict(peak < 200)} (target under 200 MB)`],
      ['wall time', `${seconds.toFixed(1)} s`],
      ['store answers kv keys afterwards', count.length > 0 ? 'yes' : 'no'],
    ])
  }
} finally {
  cleanup()
}
