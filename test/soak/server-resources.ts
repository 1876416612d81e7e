// Soak: what one account holding a valid token can make the server hold. Two figures:
//   1. connections: C idle sockets opened at once against a server with its default limits;
//      how many it keeps, and its memory before and after.
//   2. stores: S stores created and written by one account; the server's memory and open files
//      as they grow (a store's SQLite file stays open once used, within the server's budget of
//      descriptors; least recently used closed first).
// Prints the figures; Linux only (reads /proc).
//   npm run build && node --import tsx test/soak/server-resources.ts [--connections 3000] [--stores 2000]
import {readdirSync, readFileSync} from 'node:fs'
import {connect, type Socket} from 'node:net'
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {HttpBackend} from '../../src/lib/http/http-backend.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'
import {tempHome} from '../helpers/cli.js'
import {startServerProcess} from '../helpers/server-process.js'
import {createToken} from '../helpers/server-helpers.js'

const {values} = parseArgs({options: {connections: {type: 'string', default: '3000'}, stores: {type: 'string', default: '2000'}}})
const home = tempHome('kvcloud-soak-resources-')
const dataDir = join(home.home, 'data')
const server = await startServerProcess(['--port', '0', '--data', dataDir, '--log-level', 'warn'], {home: home.home})
const pid = server.child.pid!
const rssMb = () => Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024)
const openFiles = () => readdirSync(`/proc/${pid}/fd`).length
const {hostname, port} = new URL(server.url)

try {
  const {token} = createToken(dataDir, 'greedy')
  const backend = await HttpBackend.connect({url: server.url, token, limits: DEFAULT_LIMITS})
  await backend.whoami()

  // 1. Idle connections.
  const wanted = Number(values.connections)
  const before = {rss: rssMb(), files: openFiles()}
  const sockets: Socket[] = []
  let closedByServer = 0
  await Promise.all(Array.from({length: wanted}, () => new Promise<void>((resolve) => {
    const socket = connect(Number(port), hostname, () => resolve())
    socket.on('error', () => resolve())
    socket.on('close', () => closedByServer++)
    sockets.push(socket)
  })))
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const held = openFiles() - before.files
  console.log(`connections: opened ${wanted} idle sockets; the server holds ${held} (closed ${closedByServer}, the oldest silent ones, to make room); ` +
    `RSS ${before.rss} MB -> ${rssMb()} MB`)
  for (const socket of sockets) socket.destroy()
  await new Promise((resolve) => setTimeout(resolve, 500))

  // 2. Many stores.
  const stores = Number(values.stores)
  const start = {rss: rssMb(), files: openFiles(), at: Date.now()}
  console.log(`stores: start RSS ${start.rss} MB, ${start.files} open files`)
  for (let i = 1; i <= stores; i++) {
    await backend.createStore(`s${i}`)
    await backend.setValues({store: `s${i}`}, [{key: 'k', value: Buffer.alloc(1000, 1)}])
    if (i % Math.max(1, Math.floor(stores / 5)) === 0) {
      console.log(`  ${i} stores: RSS ${rssMb()} MB, ${openFiles()} open files, ${Math.round((Date.now() - start.at) / i)} ms per create+write`)
    }
  }
  const perStore = (rssMb() - start.rss) / stores
  console.log(`stores: about ${perStore.toFixed(2)} MB and ${((openFiles() - start.files) / stores).toFixed(2)} open files per store on average; ` +
    `${openFiles()} open files at the end (the server's budget for store files is in its first log line)`)
  await backend.close()
} finally {
  await server.stop('SIGTERM')
  home.cleanup()
}
