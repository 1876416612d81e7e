import {Flags} from '@oclif/core'
import {rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {defaultServerDataDir, isLoopback, listenError, startServer, waitForStopSignal} from '../../lib/server/run.js'
import {
  DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_IMPORT_MEMORY_BYTES, DEFAULT_MAX_CONNECTIONS, DEFAULT_REQUEST_TIMEOUT_MS,
  resolveServerLimits, type ServerLimits,
} from '../../lib/server/limits.js'
import {DEFAULT_LIMITS} from '../../lib/validation.js'

/** The file in the data folder that holds the address of the server running on it. */
export const SERVER_URL_FILE = 'server.url'

export interface ServerStartResult {
  url: string
  dataDir: string
  limits: ServerLimits
  stoppedBy: string
}

export default class ServerStart extends BaseCommand<typeof ServerStart> {
  static override summary = 'Run a kvcloud server that a team shares.'
  static override description =
    'Serves key value stores, apps and links over HTTP to "<%= config.bin %> login" users; each account sees only its own. ' +
    'Create tokens with "<%= config.bin %> server token create --account NAME". One JSON log line per request goes to stdout. ' +
    'Ctrl+C (SIGINT) or SIGTERM stops it: new connections are refused, requests in flight finish, databases are closed.\n' +
    'It listens on 127.0.0.1 (this machine only) unless --host says otherwise; put a TLS proxy in front of it before exposing it.'

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --port 8080 --data /srv/kvcloud',
    '<%= config.bin %> <%= command.id %> --host 0.0.0.0 --max-value-bytes 4194304',
  ]

  static override flags = {
    host: Flags.string({description: 'Address to listen on.', default: '127.0.0.1'}),
    port: Flags.integer({char: 'p', description: 'Port to listen on (0 picks a free one).', default: 3000, min: 0, max: 65_535}),
    data: Flags.string({
      description: 'Folder for accounts, token hashes and stores [default: <kvcloud data folder>/server].',
      env: 'KVCLOUD_SERVER_DATA',
      helpValue: 'DIR',
    }),
    'max-key-bytes': Flags.integer({description: 'Largest key, in bytes of UTF-8.', default: DEFAULT_LIMITS.maxKeyBytes, min: 1}),
    'max-value-bytes': Flags.integer({description: 'Largest value, in bytes.', default: DEFAULT_LIMITS.maxValueBytes, min: 1}),
    'max-request-bytes': Flags.integer({description: 'Largest JSON request body, in bytes.', default: 16 * 1024 * 1024, min: 1024}),
    'max-import-bytes': Flags.integer({description: 'Largest streamed import, in bytes.', default: 1024 * 1024 * 1024, min: 1024}),
    'max-connections': Flags.integer({
      description: 'Most connections open at once (lowered when the descriptor limit is too low); when full, the oldest connection without a request in progress is closed to make room.',
      default: DEFAULT_MAX_CONNECTIONS,
      min: 1,
    }),
    'headers-timeout': Flags.integer({description: 'Seconds a request\'s headers may take to arrive.', default: DEFAULT_HEADERS_TIMEOUT_MS / 1000, min: 1}),
    'max-import-memory': Flags.integer({
      description: 'Bytes of pairs that all imports together may hold in memory; an import waits for its share.',
      default: DEFAULT_IMPORT_MEMORY_BYTES,
      min: 1024 * 1024,
    }),
    'idle-timeout': Flags.integer({description: 'Seconds a connection may stay silent before it is closed.', default: DEFAULT_IDLE_TIMEOUT_MS / 1000, min: 1}),
    'request-timeout': Flags.integer({
      description: 'Seconds a whole request, a streamed import included, may take to arrive.',
      default: DEFAULT_REQUEST_TIMEOUT_MS / 1000,
      min: 1,
    }),
    'log-level': Flags.option({description: 'Least severe log lines written.', options: ['info', 'warn', 'error', 'silent'] as const, default: 'info'})(),
  }

  public async run(): Promise<ServerStartResult> {
    const {host, port} = this.flags
    const dataDir = this.flags.data ?? defaultServerDataDir()
    const limits = resolveServerLimits({
      maxKeyBytes: this.flags['max-key-bytes'],
      maxValueBytes: this.flags['max-value-bytes'],
      maxRequestBytes: this.flags['max-request-bytes'],
      maxImportBytes: this.flags['max-import-bytes'],
      maxConnections: this.flags['max-connections'],
      headersTimeoutMs: this.flags['headers-timeout'] * 1000,
      maxImportMemoryBytes: this.flags['max-import-memory'],
      idleTimeoutMs: this.flags['idle-timeout'] * 1000,
      requestTimeoutMs: this.flags['request-timeout'] * 1000,
    })
    // A taken port fails before anything is created in the data folder (server.db included).
    if (port !== 0) await ensurePortFree(host, port)
    // Listen for the stop signals first, so that one sent the moment the server is up is not missed.
    const stopSignal = waitForStopSignal((second) => {
      process.stderr.write(`Received ${second} again: stopping now without waiting for requests in flight.\n`)
      process.exit(1)
    })
    const server = await startServer({host, port, dataDir, limits, logger: {level: this.flags['log-level']}})
    // For "server token create", which prints the login line with the address users reach.
    const urlFile = join(dataDir, SERVER_URL_FILE)
    writeFileSync(urlFile, server.url + '\n')
    // Written even under --json: a script that passed --port 0 needs the address.
    process.stderr.write(`kvcloud server listening on ${server.url} (data in ${dataDir}). Press Ctrl+C to stop.\n`)
    if (!isLoopback(host)) {
      process.stderr.write(
        `Note: ${host} is reachable from other machines. Tokens travel in clear text over plain HTTP; put a TLS proxy in front of the server.\n`,
      )
    }
    const signal = await stopSignal
    process.stderr.write(`Received ${signal}: finishing requests in flight, then stopping.\n`)
    await server.close()
    rmSync(urlFile, {force: true})
    process.stderr.write('kvcloud server stopped.\n')
    return {url: server.url, dataDir, limits, stoppedBy: signal}
  }
}

/** Binds the address for a moment; the same errors as the server's own listen, before any file is made. */
async function ensurePortFree(host: string, port: number): Promise<void> {
  const probe = createServer()
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error) => reject(listenError(error, host, port)))
    probe.listen({host, port, exclusive: true}, () => probe.close(() => resolve()))
  })
}
