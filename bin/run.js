#!/usr/bin/env node
import module from 'node:module'
import {join} from 'node:path'

// Node 22.1+ caches compiled code between runs; every command starts faster with it.
module.enableCompileCache?.()

const argv = process.argv.slice(2)

// Everything of kvcloud's lives under KVCLOUD_HOME when it is set: oclif's cache too (the
// autocomplete plugin writes there), which otherwise goes to ~/.cache/kvcloud.
if (process.env.KVCLOUD_HOME && !process.env.KVCLOUD_CACHE_DIR) {
  process.env.KVCLOUD_CACHE_DIR = join(process.env.KVCLOUD_HOME, 'cache')
}
// `kv get` on the local backend answers without loading oclif (see src/fast-path/kv-get.ts);
// when the fast path declines, the oclif command below handles the same argv in full.
// The fast paths are bundled into one file each by the build ("npm run bundle"): loading one
// file instead of dozens of modules halves a deploy's start-up.
const answered = !process.env.KVCLOUD_NO_FAST_PATH && (
  (argv[0] === 'kv' && argv[1] === 'get' && await (await import('../dist/fast-path/bundled/kv-get.js')).fastKvGet(argv.slice(2)))
  // A scripted local deploy (every label answered by a flag) likewise; see src/fast-path/deploy.ts.
  || (argv[0] === 'deploy' && await (await import('../dist/fast-path/bundled/deploy.js')).fastDeploy(argv.slice(1))))

if (!answered) {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
