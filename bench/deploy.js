#!/usr/bin/env node
// Issue 3's deploy target on the local backend, measured side by side in one run:
//   a deploy of a manifest with 50 labels, every one given by --link kv:LABEL=STORE
//   -> median wall at most 1.5 times that of `kvcloud kv get` (its fast path, as shipped)
// Also shown, for where the time goes: `node -e ""`, kv get and deploy through oclif
// (KVCLOUD_NO_FAST_PATH=1, the full command).
// Each timed deploy is a new app (its own folder and spin.toml) linking the same 50 stores, so
// every round does the same work: read the manifest, plan 50 links, commit them, write the
// runtime config. A first, untimed deploy creates the stores.
// Usage: node bench/deploy.js [--rounds N]
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {benchEnv, fmtMs, fmtRatio, interleaved, kvcloud, kvcloudBin, report, tempHome, timeProcess, verdict, writeSpinApp} from './lib/measure.js'

const {values: options} = parseArgs({options: {rounds: {type: 'string', default: '15'}}})
const rounds = Number(options.rounds)
const {home, cleanup} = tempHome()
const node = process.execPath
const LABELS = 50
const labels = Array.from({length: LABELS}, (_, i) => `label${i}`)
const links = labels.flatMap((label) => ['--link', `kv:${label}=store-${label}`])

function writeApp(name) {
  return writeSpinApp(join(home, 'apps', name), name, labels)
}

try {
  const env = benchEnv(home)
  const noFastPath = benchEnv(home, {KVCLOUD_NO_FAST_PATH: '1'})
  kvcloud(['deploy', '-f', writeApp('setup'), ...links], {home})
  kvcloud(['kv', 'set', '-s', 'store-label7', 'greeting=hello'], {home})
  const get = [kvcloudBin, 'kv', 'get', '-s', 'store-label7', 'greeting']
  let apps = 0
  const deploy = (processEnv) => () => timeProcess(node, [kvcloudBin, 'deploy', '-f', writeApp(`app-${apps++}`), ...links], {env: processEnv})

  const times = interleaved({
    nodeEmpty: () => timeProcess(node, ['-e', ''], {env}),
    kvGet: () => timeProcess(node, get, {env}),
    kvGetOclif: () => timeProcess(node, get, {env: noFastPath}),
    deploy: deploy(env),
    deployOclif: deploy(noFastPath),
  }, rounds)

  const ratio = times.deploy / times.kvGet
  report(`deploy of a manifest with ${LABELS} labels, each given by --link, local backend (median of ${rounds})`, [
    ['node -e ""', fmtMs(times.nodeEmpty)],
    ['kvcloud kv get (fast path, as shipped)', `${fmtMs(times.kvGet)}  (${fmtRatio(times.kvGet / times.nodeEmpty)} node)`],
    ['kvcloud kv get through oclif (KVCLOUD_NO_FAST_PATH=1)', `${fmtMs(times.kvGetOclif)}  (${fmtRatio(times.kvGetOclif / times.nodeEmpty)} node)`],
    ['kvcloud deploy (as shipped)', `${fmtMs(times.deploy)}  (${fmtRatio(times.deploy / times.nodeEmpty)} node)`],
    ['kvcloud deploy through oclif (KVCLOUD_NO_FAST_PATH=1)', `${fmtMs(times.deployOclif)}  (${fmtRatio(times.deployOclif / times.nodeEmpty)} node)`],
    ['deploy / kv get (target at most 1.5x)', `${fmtRatio(ratio)}  ${verdict(ratio <= 1.5)}`],
    ['deploy through oclif / kv get', fmtRatio(times.deployOclif / times.kvGet)],
  ])
} finally {
  cleanup()
}
