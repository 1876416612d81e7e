import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Writable} from 'node:stream'
import type {FastifyInstance} from 'fastify'
import {Pool} from 'undici'
import {AccountRegistry} from '../../src/lib/sqlite/accounts.js'
import {buildServer} from '../../src/lib/server/build-server.js'
import type {ServerLimits} from '../../src/lib/server/limits.js'

export interface TestServer {
  url: string
  dataDir: string
  app: FastifyInstance
  /** Every log line the server wrote, parsed. */
  logLines: Array<Record<string, unknown>>
  /** Raw log text, to search for secrets. */
  logText(): string
  /** A fresh token for the account (created when new), as an admin would with `server token create`. */
  token(account: string): {id: string; token: string}
  revoke(id: string): void
  /** A raw HTTP client for the server, for asserting statuses and bodies exactly. */
  http: Pool
  close(): Promise<void>
}

/** A real kvcloud server on an ephemeral 127.0.0.1 port, with its log captured. */
export async function startTestServer(limits: Partial<ServerLimits> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kvcloud-server-'))
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'))
      done()
    },
  })
  const app = buildServer({dataDir, limits, logger: {level: 'info', stream}})
  const url = await app.listen({host: '127.0.0.1', port: 0})
  const http = new Pool(url)
  const withRegistry = <T>(work: (registry: AccountRegistry) => T): T => {
    const registry = AccountRegistry.open(dataDir)
    try {
      return work(registry)
    } finally {
      registry.close()
    }
  }
  return {
    url,
    dataDir,
    app,
    get logLines() {
      return chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>)
    },
    logText: () => chunks.join(''),
    token: (account) => withRegistry((registry) => registry.createToken(account)),
    revoke: (id) => void withRegistry((registry) => registry.revokeToken(id)),
    http,
    async close() {
      await http.close()
      await app.close()
      rmSync(dataDir, {recursive: true, force: true})
    },
  }
}

export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  bytes: Buffer
  json: <T = Record<string, unknown>>() => T
}

/** One request with the token (when given); the whole answer read as text. */
export async function request(
  server: TestServer,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD',
  path: string,
  options: {token?: string; json?: unknown; body?: string | Buffer; contentType?: string; headers?: Record<string, string>} = {},
): Promise<Answer> {
  const headers: Record<string, string> = {...options.headers}
  if (options.token) headers.authorization = `Bearer ${options.token}`
  let body: string | Buffer | undefined = options.body
  if (options.json !== undefined) {
    body = JSON.stringify(options.json)
    headers['content-type'] = 'application/json'
  }
  if (options.contentType) headers['content-type'] = options.contentType
  const response = await server.http.request({method, path, headers, body})
  const bytes = Buffer.from(await response.body.arrayBuffer())
  const text = bytes.toString('utf8')
  return {
    status: response.statusCode,
    headers: response.headers,
    text,
    bytes,
    json: <T>() => JSON.parse(text) as T,
  }
}
