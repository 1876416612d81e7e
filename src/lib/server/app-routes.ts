import type {FastifyInstance} from 'fastify'
import type {ComponentInfo} from '../backend.js'
import {decodePair, type WirePair} from '../remote/wire.js'
import type {ServerContext} from './build-server.js'
import {appLabelParams, appLinkBody, appParams, deployBody, pageQuery} from './schemas.js'

interface DeployBody {
  version?: string
  description?: string
  components: ComponentInfo[]
  links: Array<{label: string; store: string; create: boolean}>
  seed?: WirePair[]
}

/**
 * Apps, links by app and label, and the atomic deploy. Apps are known by name (Fermyon's `appId`
 * is the name here); an app comes into being with its first deploy.
 */
export async function appRoutes(app: FastifyInstance, {backends}: ServerContext): Promise<void> {
  type AppParams = {app: string}
  type AppLabelParams = {app: string; label: string}

  app.get<{Querystring: {cursor?: string; limit?: number}}>('/api/apps', {schema: {querystring: pageQuery}}, async (request) => {
    const page = await backends.forAccount(request.account!).listApps(request.query)
    return {items: page.items, ...(page.next ? {next: page.next} : {})}
  })

  app.get<{Params: AppParams}>('/api/apps/:app', {schema: {params: appParams}}, async (request) =>
    backends.forAccount(request.account!).getApp(request.params.app))

  app.delete<{Params: AppParams}>('/api/apps/:app', {schema: {params: appParams}}, async (request, reply) => {
    await backends.forAccount(request.account!).deleteApp(request.params.app)
    return reply.code(204).send()
  })

  app.put<{Params: AppLabelParams; Body: {store: string; replace?: boolean; allowUndeclared?: boolean}}>(
    '/api/apps/:app/links/:label',
    {schema: {params: appLabelParams, body: appLinkBody}},
    async (request) => {
      const {app: appName, label} = request.params
      return backends.forAccount(request.account!).linkStore({
        app: appName, label, store: request.body.store, replace: request.body.replace, allowUndeclared: request.body.allowUndeclared,
      })
    },
  )

  app.delete<{Params: AppLabelParams}>('/api/apps/:app/links/:label', {schema: {params: appLabelParams}}, async (request) =>
    backends.forAccount(request.account!).unlinkStore(request.params.app, request.params.label))

  app.post<{Params: AppParams; Body: DeployBody}>(
    '/api/apps/:app/deploy',
    {schema: {params: appParams, body: deployBody}},
    async (request) => {
      const {version, description, components, links, seed} = request.body
      return backends.forAccount(request.account!).deploy({
        app: {name: request.params.app, ...(version !== undefined ? {version} : {}), ...(description !== undefined ? {description} : {}), components},
        links,
        ...(seed ? {seed: seed.map(decodePair)} : {}),
      })
    },
  )
}
