#!/usr/bin/env node
// Issue 12: `kv import` streams a wrangler-style JSON array as it does NDJSON. The same
// 1,000,000 pairs (100-byte values) as NDJSON, as a JSON array the way `kv export` and
// JSON.stringify write it, pretty-printed (2-space indent), and led by one entry of 2 MiB (the
// reader's fast path takes entries up to 1 MiB, so all of this one goes through
// @streamparser/json), each imported by the real binary into a fresh local store, round after
// round, so all of them share the machine's moment.
// Target: every JSON array's peak RSS within 10% of NDJSON's (before: 871 MB against 195 MB).
// Usage: node bench/json-import.js [--rounds N] [--pairs N]
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {fmtRatio, kvcloud, median, peakRssMb, report, tempHome, verdict, writePairsFile} from './lib/measure.js'

const {values: options} = parseArgs({options: {rounds: {type: 'string', default: '3'}, pairs: {type: 'string', default: '1000000'}}})
const rounds = Number(options.rounds)
const pairs = Number(options.pairs)
const {home, cleanup} = tempHome()

try {
  const files = {ndjson: join(home, 'pairs.ndjson'), json: join(home, 'pairs.json'), pretty: join(home, 'pairs-pretty.json'), parser: join(home, 'pairs-parser.json')}
  writePairsFile(files.ndjson, pairs, {format: 'ndjson'})
  writePairsFile(files.json, pairs, {format: 'json'})
  const value = 'v'.repeat(100)
  const entries = Array.from({length: pairs}, (_, i) => ({key: `key-${String(i).padStart(7, '0')}`, value}))
  writeFileSync(files.pretty, JSON.stringify(entries, null, 2))
  entries[0] = {key: entries[0].key, value: 'v'.repeat(2 * 1024 * 1024)}
  writeFileSync(files.parser, JSON.stringify(entries))
  const samples = Object.fromEntries(Object.keys(files).map((format) => [format, {rss: [], seconds: []}]))
  for (let round = 0; round < rounds; round++) {
    for (const [format, file] of Object.entries(files)) {
      const store = `${format}-${round}`
      kvcloud(['kv', 'create', store], {home})
      const start = Date.now()
      samples[format].rss.push(await peakRssMb(['kv', 'import', '-s', store, file], {home, quiet: true}))
      samples[format].seconds.push((Date.now() - start) / 1000)
    }
  }
  // Each last store holds every pair: its export has one line per pair.
  const complete = Object.keys(files).every((format) => {
    const exported = kvcloud(['kv', 'export', '-s', `${format}-${rounds - 1}`, '--format', 'ndjson'], {home}).toString()
    return exported.trimEnd().split('\n').length === pairs
  })
  const rss = Object.fromEntries(Object.entries(samples).map(([format, sample]) => [format, median(sample.rss)]))
  const seconds = Object.fromEntries(Object.entries(samples).map(([format, sample]) => [format, median(sample.seconds)]))
  const worst = Math.max(rss.json, rss.pretty, rss.parser) / rss.ndjson
  report(`kv import of ${pairs.toLocaleString('en-US')} pairs, 100-byte values, local backend, whole process (median of ${rounds})`, [
    ['NDJSON: peak resident memory, wall time', `${rss.ndjson.toFixed(1)} MB, ${seconds.ndjson.toFixed(2)} s`],
    ['JSON array as kv export writes it', `${rss.json.toFixed(1)} MB, ${seconds.json.toFixed(2)} s`],
    ['JSON array, pretty-printed', `${rss.pretty.toFixed(1)} MB, ${seconds.pretty.toFixed(2)} s`],
    ['JSON array through @streamparser/json', `${rss.parser.toFixed(1)} MB, ${seconds.parser.toFixed(2)} s`],
    // The largest of the arrays' peaks.
    ['JSON / NDJSON peak RSS (target at most 1.10x)', `${fmtRatio(worst)}  ${verdict(worst <= 1.1)}`],
    ['JSON / NDJSON wall time: exported, pretty, parser', [seconds.json, seconds.pretty, seconds.parser].map((s) => fmtRatio(s / seconds.ndjson)).join(', ')],
    ['every store holds every pair afterwards', complete ? 'yes' : 'no'],
  ])
} finally {
  cleanup()
}
