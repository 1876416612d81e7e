// The yardstick for bench/server.js: a bare Fastify 5 server with one route returning a constant,
// run as its own process like the kvcloud server. Prints its URL on stdout once listening.
import Fastify from 'fastify'

const app = Fastify({logger: false})
const constant = Buffer.from('value')
app.get('/constant', (_request, reply) => {
  void reply.type('application/octet-stream').send(constant)
})
const url = await app.listen({host: '127.0.0.1', port: 0})
process.stdout.write(`${url}\n`)
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)))
