import {readFile, stat} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import {NotFoundError, UnavailableError} from '../errors.js'
import {parseManifest, type SpinManifest} from './manifest.js'

export const MANIFEST_FILE_NAME = 'spin.toml'

/**
 * Where the manifest is: `from` may name a file or a folder holding spin.toml; without it, spin.toml
 * in `cwd`. Relative paths are resolved against `cwd`.
 */
export async function resolveManifestPath(from: string | undefined, cwd: string): Promise<string> {
  const target = resolve(cwd, from ?? '.')
  const info = await stat(target).catch(() => undefined)
  if (info?.isDirectory()) return join(target, MANIFEST_FILE_NAME)
  return target
}

export async function readManifest(from: string | undefined, cwd: string = process.cwd()): Promise<SpinManifest> {
  const file = await resolveManifestPath(from, cwd)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      throw new NotFoundError(`No Spin manifest found at ${file}.`, [
        from === undefined
          ? 'Run the command in the folder that holds your spin.toml, or pass -f/--from FILE|DIR.'
          : 'Check the path given to -f/--from: it names a spin.toml file or the folder that holds one.',
      ])
    }
    throw new UnavailableError(`Cannot read the Spin manifest ${file}: ${(error as Error).message}`)
  }
  return parseManifest(text, file)
}
