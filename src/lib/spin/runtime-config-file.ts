// Reading and writing Spin's runtime config file on disk; what goes in it is runtime-config.ts's.

import {randomBytes} from 'node:crypto'
import {closeSync, existsSync, lstatSync, openSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {dirname} from 'node:path'
import {InvalidInputError, UnavailableError} from '../errors.js'
import {parseRuntimeConfig, renderRuntimeConfig, type RuntimeConfigChange, type RuntimeConfigEntry, type RuntimeConfigTable} from './runtime-config.js'

async function readRuntimeConfigText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new UnavailableError(`Cannot read the runtime config ${file}: ${(error as Error).message}`)
  }
}

/** Reads the current file (undefined when it does not exist yet) and checks that it parses. */
export async function readRuntimeConfig(file: string): Promise<string | undefined> {
  const text = await readRuntimeConfigText(file)
  if (text !== undefined) parseRuntimeConfig(text, file)
  return text
}

/**
 * Applies entries and removals to the file on disk, atomically: the new text goes to a temporary
 * file created exclusively beside the real file (a planted symlink is never followed), which then
 * replaces it. A runtime config that is a symlink is edited where it points, so the link stays.
 * Synchronous, so callers can hold kvcloud's catalog lock around reading the links and writing.
 */
export function updateRuntimeConfig(
  file: string,
  entries: readonly RuntimeConfigEntry[],
  remove: readonly string[] = [],
  table: RuntimeConfigTable = 'key_value_store',
): RuntimeConfigChange {
  const target = realTarget(file)
  const existing = readTextIfAny(target)
  // renderRuntimeConfig parses it, and refuses a broken file before anything is written.
  const {text, change} = renderRuntimeConfig(existing, file, entries, remove, table)
  if (!change.changed) return change
  if (!existsSync(dirname(target))) {
    throw new InvalidInputError(`Cannot write the runtime config ${file}: the folder ${dirname(target)} does not exist.`, [
      'Create the folder first, or pass --runtime-config with a file in an existing folder.',
    ])
  }
  const temporary = `${target}.kvcloud-${process.pid}-${randomBytes(4).toString('hex')}.tmp`
  try {
    const mode = existing === undefined ? 0o644 : statSync(target).mode & 0o777
    const fd = openSync(temporary, 'wx', mode)
    try {
      writeFileSync(fd, text)
    } finally {
      closeSync(fd)
    }
    renameSync(temporary, target)
  } catch (error) {
    try {
      rmSync(temporary, {force: true})
    } catch {
      // Never made (a name too long, a folder gone): nothing to remove.
    }
    // The system's message without the temporary file's name ("ENAMETOOLONG: name too long, open '...'").
    const reason = (error as Error).message.replace(/, \w+ '[^']*'$/, '')
    throw new UnavailableError(`Cannot write the runtime config ${file}: ${reason}`)
  }
  return change
}

/** The file a path names, following symlinks (a runtime config kept elsewhere and linked in). */
function realTarget(file: string): string {
  try {
    return lstatSync(file).isSymbolicLink() ? realpathSync(file) : file
  } catch {
    return file
  }
}

function readTextIfAny(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new UnavailableError(`Cannot read the runtime config ${file}: ${(error as Error).message}`)
  }
}
