#!/usr/bin/env node
// Runs every benchmark in turn (`npm run bench`). Each prints its own figures and ratios;
// run on a quiet machine, since every ratio is measured side by side within one script.
import {spawnSync} from 'node:child_process'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
let failed = false
for (const script of ['kv-local.js', 'sqlite-bindings.js', 'json-import.js', 'lock-hold.js', 'deploy.js', 'refusals.js', 'remote-import.js', 'server.js', 'install.ts', 'spin-plugin.ts']) {
  console.log(`\n=== bench/${script}`)
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : []
  const result = spawnSync(process.execPath, [...loader, join(here, script), ...process.argv.slice(2)], {stdio: 'inherit'})
  if (result.status !== 0) {
    console.log(`bench/${script} exited ${result.status}`)
    failed = true
  }
}
process.exitCode = failed ? 1 : 0
