#!/usr/bin/env node
// How quickly deploy, link and apps refuse without a terminal (test/commands/deploy/failures.test.ts checks
// what they say; the time is measured here, as CONVENTIONS.md puts timing in bench/). Measured
// side by side in one run:
//   each refusal (no question asked, nothing changed, exit 2 or 3)
//   -> median wall at most 1.5 times that of `kvcloud apps list`, a command that succeeds after
//      the same start-up and catalog read: a refusal must not wait for an answer or a lock.
// Also shown: `node -e ""`, for what any process costs on this machine.
// Usage: node bench/refusals.js [--rounds N]
import {spawnSync} from 'node:child_process'
import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {benchEnv, fmtMs, fmtRatio, interleaved, kvcloud, kvcloudBin, report, tempHome, timeProcess, verdict, writeSpinApp} from './lib/measure.js'

const {values: options} = parseArgs({options: {rounds: {type: 'string', default: '11'}}})
const rounds = Number(options.rounds)
const {home, cleanup} = tempHome()
const node = process.execPath

function writeApp(dir, labels) {
  writeSpinApp(dir, 'shop', labels)
}

/** Wall time of one kvcloud run that must exit with `exitCode` (a refusal), in milliseconds. */
function timeRun(args, {cwd, exitCode}) {
  const start = process.hrtime.bigint()
  const result = spawnSync(node, [kvcloudBin, ...args], {cwd, env: benchEnv(home), stdio: ['ignore', 'pipe', 'pipe']})
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (result.status !== exitCode) throw new Error(`kvcloud ${args.join(' ')} exited ${result.status}, expected ${exitCode}: ${result.stderr}`)
  return ms
}

try {
  const appDir = join(home, 'shop')
  const empty = join(home, 'empty')
  mkdirSync(empty)
  kvcloud(['kv', 'create', 'case-a'], {home})
  kvcloud(['kv', 'create', 'case-b'], {home})
  writeApp(appDir, ['cache'])
  kvcloud(['deploy', '-f', appDir, '--link', 'kv:cache=case-a'], {home})
  writeApp(appDir, ['cache', 'promptstore', 'sessions'])

  const refusals = {
    'deploy with unanswered labels': {args: ['deploy', '--link', 'kv:sessions=case-b'], exitCode: 2},
    'deploy with no manifest': {args: ['deploy', '--yes'], exitCode: 3, cwd: empty},
    'link: a relink without --yes': {args: ['link', 'kv', 'cache', '-a', 'shop', '-s', 'case-b'], exitCode: 2},
    'link: a missing store': {args: ['link', 'kv', 'cache', '-a', 'shop', '-s', 'nope'], exitCode: 3},
    'apps delete without --yes': {args: ['apps', 'delete', 'shop'], exitCode: 2},
  }
  const times = interleaved({
    nodeEmpty: () => timeProcess(node, ['-e', '']),
    appsList: () => timeRun(['apps', 'list'], {cwd: appDir, exitCode: 0}),
    ...Object.fromEntries(Object.entries(refusals).map(([name, refusal]) => [name, () => timeRun(refusal.args, {cwd: refusal.cwd ?? appDir, exitCode: refusal.exitCode})])),
  }, rounds)

  const rows = [
    ['node -e ""', fmtMs(times.nodeEmpty)],
    ['kvcloud apps list (succeeds)', `${fmtMs(times.appsList)}  (${fmtRatio(times.appsList / times.nodeEmpty)} node)`],
  ]
  let worst = 0
  for (const name of Object.keys(refusals)) {
    const ratio = times[name] / times.appsList
    worst = Math.max(worst, ratio)
    rows.push([name, `${fmtMs(times[name])}  (${fmtRatio(ratio)} apps list)`])
  }
  rows.push(['slowest refusal / apps list (target at most 1.5x)', `${fmtRatio(worst)}  ${verdict(worst <= 1.5)}`])
  report(`refusals without a terminal, local backend (median of ${rounds})`, rows)
} finally {
  cleanup()
}
