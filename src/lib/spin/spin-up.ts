import {dirname, isAbsolute, relative, resolve} from 'node:path'
import {shellQuote} from '../shell.js'

/** The `spin up` line to copy, with paths relative to `cwd` when that is shorter. */
export function spinUpCommand(manifestFile: string, runtimeConfigFile: string, cwd: string = process.cwd()): string {
  const show = (path: string) => {
    const rel = relative(cwd, path)
    return rel !== '' && !isAbsolute(rel) && rel.length < path.length ? rel : path
  }
  const parts = ['spin', 'up']
  if (resolve(dirname(manifestFile)) !== resolve(cwd) || !manifestFile.endsWith('spin.toml')) parts.push('-f', shellQuote(show(manifestFile)))
  parts.push('--runtime-config-file', shellQuote(show(runtimeConfigFile)))
  return parts.join(' ')
}
