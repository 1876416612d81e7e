import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {FastifyInstance} from 'fastify'
import {HttpBackend} from '../../../src/lib/http/http-backend.js'
import {AccountRegistry} from '../../../src/lib/sqlite/accounts.js'
import {buildServer} from '../../../src/lib/server/build-server.js'
import {CONFORMANCE_LIMITS, describeBackendConformance} from '../core/backend-conformance.js'

describe('HttpBackend with a real kvcloud server', function () {
  let dataDir: string
  let server: FastifyInstance
  let url: string
  let accounts = 0

  before(async function () {
    dataDir = mkdtempSync(join(tmpdir(), 'kvcloud-server-'))
    server = buildServer({dataDir, limits: CONFORMANCE_LIMITS})
    url = await server.listen({host: '127.0.0.1', port: 0})
  })

  after(async function () {
    await server.close()
    rmSync(dataDir, {recursive: true, force: true})
  })

  // Each test gets an account of its own on one server: a clean slate, as the local suite has.
  describeBackendConformance('remote (HTTP to kvcloud server)', async () => {
    const registry = AccountRegistry.open(dataDir)
    const {token} = registry.createToken(`conformance-${++accounts}`)
    registry.close()
    const backend = await HttpBackend.connect({url, token, limits: CONFORMANCE_LIMITS})
    return {backend, cleanup: () => backend.close()}
  })
})
