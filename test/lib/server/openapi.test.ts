import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import type {AppInfo, DeployResult, LinkResult, UnlinkResult} from '../../../src/lib/backend.js'
import type {TransferEntry} from '../../../src/lib/api/entry.js'
import type * as schemas from '../../../src/lib/api/schemas.js'
import type {Static} from '../../../src/lib/api/typebox.js'
import {generateOpenApiDocument} from '../../../src/lib/server/openapi-document.js'
import {enumerateRoutes} from '../../security/routes.js'
import {request, startTestServer, type TestServer} from '../../helpers/test-server.js'

// The answers' schemas serialise what the backend returns (fast-json-stringify drops any field a
// schema does not name): each must hold exactly the fields of the type the client hands on.
// A link's kind is optional in answers (servers from before links had one send none).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type KindOptional<T> = T extends Array<infer E> ? Array<KindOptional<E>>
  : T extends object ? {[K in keyof T as K extends 'kind' ? never : K]: KindOptional<T[K]>} & ('kind' extends keyof T ? {kind?: T['kind' & keyof T]} : unknown)
  : T
const sameShapes: [
  Same<Static<typeof schemas.AppInfo>, KindOptional<AppInfo>>,
  Same<Static<typeof schemas.LinkResult>, KindOptional<LinkResult>>,
  Same<Static<typeof schemas.UnlinkResult>, KindOptional<UnlinkResult>>,
  Same<Static<typeof schemas.DeployResult>, KindOptional<DeployResult>>,
  Same<Static<typeof schemas.TransferEntrySchema>, TransferEntry>,
] = [true, true, true, true, true]

describe('the OpenAPI document', function () {
  let server: TestServer
  let token: string

  before(async function () {
    server = await startTestServer()
    token = server.token('reader').token
  })

  after(async function () {
    await server.close()
  })

  it('is committed as docs/openapi.json exactly as the code generates it (npm run openapi writes it)', async function () {
    const committed: unknown = JSON.parse(readFileSync(new URL('../../../docs/openapi.json', import.meta.url), 'utf8'))
    assert.deepEqual(committed, await generateOpenApiDocument(), 'docs/openapi.json is out of date: run "npm run openapi" and commit it')
    assert.deepEqual(sameShapes, [true, true, true, true, true])
  })

  it('is served at GET /api/openapi.json, to a token as every /api route, the same as the committed one', async function () {
    assert.equal((await request(server, 'GET', '/api/openapi.json')).status, 401)
    const answer = await request(server, 'GET', '/api/openapi.json', {token})
    assert.equal(answer.status, 200, answer.text)
    assert.deepEqual(answer.json(), JSON.parse(readFileSync(new URL('../../../docs/openapi.json', import.meta.url), 'utf8')))
  })

  it('describes every route the server serves, each with its answers', async function () {
    const document = (await request(server, 'GET', '/api/openapi.json', {token})).json<{paths: Record<string, Record<string, {responses: object}>>}>()
    const served = (await enumerateRoutes(server.app)).filter((route) => route.method !== 'HEAD' && route.url !== '/api/openapi.json')
    for (const {method, url} of served) {
      const path = url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{*}')
      const operation = document.paths[path]?.[method.toLowerCase()]
      assert.ok(operation, `${method} ${url} is missing from the document`)
      assert.ok(Object.keys(operation.responses).some((status) => status.startsWith('2')), `${method} ${url} has no success answer`)
    }
    const described = Object.values(document.paths).reduce((count, operations) => count + Object.keys(operations).length, 0)
    assert.equal(described, served.length)
  })
})
