import type {FastifyInstance} from 'fastify'
import {appRoutes as routes, type RequestOf} from '../api/routes.js'
import type {ServerContext} from './context.js'
import {pairFromEntry} from './entries.js'

/**
 * Apps, links by app and label, and the atomic deploy. Apps are known by name (Fermyon's `appId`
 * is the name here); an app comes into being with its first deploy.
 */
export async function appRoutes(app: FastifyInstance, {backends}: ServerContext): Promise<void> {
  app.route<RequestOf<typeof routes.listApps>>({
    ...routes.listApps,
    handler: async (request) => {
      const page = await backends.forAccount(request.account!).listApps(request.query)
      return {items: page.items, ...(page.next ? {next: page.next} : {})}
    },
  })

  app.route<RequestOf<typeof routes.getApp>>({
    ...routes.getApp,
    handler: async (request) => backends.forAccount(request.account!).getApp(request.params.app),
  })

  app.route<RequestOf<typeof routes.deleteApp>>({
    ...routes.deleteApp,
    handler: async (request, reply) => {
      await backends.forAccount(request.account!).deleteApp(request.params.app)
      return reply.code(204).send()
    },
  })

  app.route<RequestOf<typeof routes.linkLabel>>({
    ...routes.linkLabel,
    handler: async (request) => {
      const {app: appName, kind, label} = request.params
      return backends.forAccount(request.account!).linkStore({
        kind,
        app: appName, label, store: request.body.store, replace: request.body.replace, allowUndeclared: request.body.allowUndeclared,
      })
    },
  })

  app.route<RequestOf<typeof routes.unlinkLabel>>({
    ...routes.unlinkLabel,
    handler: async (request) => backends.forAccount(request.account!).unlinkStore(request.params.app, request.params.label, request.params.kind),
  })

  app.route<RequestOf<typeof routes.deploy>>({
    ...routes.deploy,
    handler: async (request) => {
      const {version, description, components, links, seed} = request.body
      return backends.forAccount(request.account!).deploy({
        app: {name: request.params.app, ...(version !== undefined ? {version} : {}), ...(description !== undefined ? {description} : {}), components},
        links,
        ...(seed ? {seed: seed.map((entry, index) => pairFromEntry(entry, `seed[${index}]`))} : {}),
      })
    },
  })
}
