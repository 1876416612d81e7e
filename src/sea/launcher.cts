// The main script of the Spin plugin's executable: Node 24 as a single executable application
// (scripts/spin-plugin.ts builds it). oclif finds and loads kvcloud's commands as files, so the app
// (bin, dist, package.json, the oclif manifest, its production node_modules) travels as one
// compressed asset, is unpacked once per build into a cache folder, and runs from there. Later
// runs find the folder and start as `node bin/run.js` does, plus one small file read.
//
// CommonJS, and only Node's builtins: that is all `require` reaches in a SEA's main script.
import {createHash, randomBytes} from 'node:crypto'
import {mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, isAbsolute, join, normalize, sep} from 'node:path'
import {getAsset, getRawAsset} from 'node:sea'
import {pathToFileURL} from 'node:url'
import {brotliDecompressSync} from 'node:zlib'

/** The `app.json` asset: what the `app` asset holds, to name and check its folder without unpacking it. */
export interface AppAsset {
  version: string
  /** SHA-256 of the uncompressed archive. */
  sha256: string
  /** Bytes and files once unpacked. */
  bytes: number
  files: number
}

/** The archive's header: its files in order; their bytes follow the header back to back. */
export interface AppArchiveHeader {
  files: {path: string; size: number; mode: number}[]
}

/** Written last into a complete folder; a folder without it (or with another hash) is not used. */
const MARKER = '.kvcloud-app.json'

/**
 * Where unpacked builds live: kvcloud's cache folder, as oclif's is chosen (KVCLOUD_CACHE_DIR,
 * $KVCLOUD_HOME/cache, or the platform's cache folder), so KVCLOUD_HOME keeps everything in one place.
 */
function cacheRoot(env: NodeJS.ProcessEnv): string {
  const base =
    env.KVCLOUD_CACHE_DIR ||
    (env.KVCLOUD_HOME && join(env.KVCLOUD_HOME, 'cache')) ||
    (process.platform === 'darwin'
      ? join(homedir(), 'Library', 'Caches', 'kvcloud')
      : process.platform === 'win32'
        ? join(env.LOCALAPPDATA || join(homedir(), 'AppData', 'Local'), 'kvcloud', 'Cache')
        : join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kvcloud'))
  return join(base, 'spin-plugin')
}

function isComplete(folder: string, app: AppAsset): boolean {
  try {
    return (JSON.parse(readFileSync(join(folder, MARKER), 'utf8')) as {sha256?: string}).sha256 === app.sha256
  } catch {
    return false
  }
}

/** Writes the archive's files into `staging`, checking the archive against its hash first. */
function writeArchive(staging: string, app: AppAsset): void {
  const archive = brotliDecompressSync(Buffer.from(getRawAsset('app') as ArrayBuffer))
  if (createHash('sha256').update(archive).digest('hex') !== app.sha256) {
    throw new Error('the program files inside this executable are damaged (their checksum does not match); install the plugin again')
  }
  const headerBytes = archive.readUInt32BE(0)
  const header = JSON.parse(archive.subarray(4, 4 + headerBytes).toString('utf8')) as AppArchiveHeader
  let offset = 4 + headerBytes
  for (const file of header.files) {
    const relative = normalize(file.path)
    if (isAbsolute(relative) || relative.split(sep).includes('..')) throw new Error(`the archive names a path outside its folder: ${file.path}`)
    const path = join(staging, relative)
    mkdirSync(dirname(path), {recursive: true})
    writeFileSync(path, archive.subarray(offset, offset + file.size), {mode: file.mode})
    offset += file.size
  }
  writeFileSync(join(staging, MARKER), JSON.stringify({version: app.version, sha256: app.sha256}) + '\n')
}

/**
 * Unpacks into a folder of this process's own, then renames it into place: two first runs at once
 * each write their own copy, one rename wins and the other process uses the winner's folder.
 */
function unpack(root: string, folder: string, app: AppAsset): void {
  mkdirSync(root, {recursive: true})
  const staging = join(root, `.unpacking-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    writeArchive(staging, app)
    try {
      renameSync(staging, folder)
    } catch (error) {
      if (isComplete(folder, app)) return
      // A folder of the same name that is not a complete copy (damaged by hand): replace it.
      if (!['ENOTEMPTY', 'EEXIST', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error
      rmSync(folder, {recursive: true, force: true})
      renameSync(staging, folder)
    }
    removeOtherBuilds(root, folder)
  } finally {
    rmSync(staging, {recursive: true, force: true})
  }
}

/** Earlier versions' folders, and copies that a killed first run left half-written an hour ago or more. */
function removeOtherBuilds(root: string, keep: string): void {
  for (const entry of readdirSync(root)) {
    const path = join(root, entry)
    // Another first run may rename or remove its staging folder meanwhile.
    const modified = statSync(path, {throwIfNoEntry: false})?.mtimeMs
    const halfWritten = entry.startsWith('.unpacking-') && modified !== undefined && Date.now() - modified > 3_600_000
    const earlierBuild = /^\d+\.\d+\.\d+.*-[0-9a-f]{12}$/.test(entry) && path !== keep
    try {
      if (halfWritten || earlierBuild) rmSync(path, {recursive: true, force: true})
    } catch {
      // Another process may be using or removing it; the next first run tries again.
    }
  }
}

function fail(message: string, hint: string): never {
  process.stderr.write(`Error: ${message}\n${hint}\n`)
  process.exit(1)
}

async function main(): Promise<void> {
  const app = JSON.parse(getAsset('app.json', 'utf8')) as AppAsset
  const root = cacheRoot(process.env)
  const folder = join(root, `${app.version}-${app.sha256.slice(0, 12)}`)
  if (!isComplete(folder, app)) {
    try {
      unpack(root, folder, app)
    } catch (error) {
      const {code, message} = error as NodeJS.ErrnoException
      const megabytes = Math.ceil(app.bytes / 1e6)
      const full = code === 'ENOSPC' || code === 'EDQUOT'
      fail(
        `kvcloud could not unpack its program files (${megabytes} MB in ${app.files} files, once per version) into ${root}: ${full ? 'the disk is full' : message}.`,
        full
          ? 'Make room there, or set KVCLOUD_CACHE_DIR to a folder on a disk with room.'
          : 'Set KVCLOUD_CACHE_DIR to a folder you can write to.',
      )
    }
  }
  await import(pathToFileURL(join(folder, 'bin', 'run.js')).href)
}

void main()
