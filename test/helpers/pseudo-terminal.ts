import {spawnSync} from 'node:child_process'
import type {Context} from 'mocha'
import {skipOrFailWithout} from './ci-pass.js'

let available: boolean | undefined

/** util-linux `script` is what gives the real binary a pseudo-terminal on stdin, stdout and stderr. */
export function hasScriptCommand(): boolean {
  if (available === undefined) {
    const probe = spawnSync('script', ['--version'], {encoding: 'utf8'})
    available = !probe.error && probe.status === 0
  }
  return available
}

/**
 * The one policy for tests that need a pseudo-terminal: call it in a `before` hook (a `function`,
 * for `this`). Without `script` it skips, saying why; in CI it fails (see skipOrFailWithout).
 */
export function needScriptCommand(context: Context): void {
  if (hasScriptCommand()) return
  skipOrFailWithout(context, 'util-linux "script" is not installed (apt-get install bsdutils), so no pseudo-terminal is available')
}
