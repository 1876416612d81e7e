// A yardstick for bench/server.js: bare Fastify plus only the work a kvcloud `GET` cannot skip
// without dropping a requirement, so the bench can show how much of the gap to bare Fastify is
// kvcloud's own overhead and how much is that work itself:
//   - the token's SHA-256 (tokens are kept only as hashes),
//   - PRAGMA data_version on a WAL database shared with other processes (a revoke made by
//     `kvcloud server token revoke` takes effect on the very next request),
//   - one read from a store file in Spin's format, held locked as the server holds its own files,
//   - one structured log line (Fastify's pino, to a file).
// No account lookup, no routing beyond one route, no hooks, no error mapping. Prints its URL.
import {hash} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import Database from 'better-sqlite3'
import Fastify, {LogController} from 'fastify'

const dir = mkdtempSync(join(tmpdir(), 'kvcloud-floor-'))
const tokens = new Database(join(dir, 'server.db'))
tokens.pragma('journal_mode = WAL')
const tokensVersion = tokens.prepare('PRAGMA data_version').pluck()
const store = new Database(join(dir, 'store.db'))
store.pragma('locking_mode = EXCLUSIVE')
store.exec('CREATE TABLE spin_key_value (store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key))')
store.prepare('INSERT INTO spin_key_value VALUES (?, ?, ?)').run('default', 'greeting', Buffer.from('hello, world'))
const get = store.prepare('SELECT value FROM spin_key_value WHERE store = ? AND key = ?')
// Fastify's pino, writing to a file as kvcloud's does; only the line below, no request logging.
const app = Fastify({
  logger: {level: 'info', file: join(dir, 'server.log')},
  logController: new LogController({disableRequestLogging: true}),
})
app.get('/api/key-value-stores/:store/keys/*', (request, reply) => {
  const start = performance.now()
  hash('sha256', request.headers.authorization ?? '', 'buffer')
  tokensVersion.get()
  const row = get.get('default', request.params['*'])
  void reply.type('application/octet-stream').send(row.value)
  app.log.info({method: request.method, url: request.url, statusCode: 200, responseTime: performance.now() - start, account: 'bench'}, 'request')
})
const url = await app.listen({host: '127.0.0.1', port: 0})
process.stdout.write(`${url}\n`)
process.on('SIGTERM', () => void app.close().then(() => {
  rmSync(dir, {recursive: true, force: true})
  process.exit(0)
}))
