import type {FastifyInstance, FastifyRequest} from 'fastify'
import type {ResourceKind} from '../backend.js'
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

  type LinkBody = {store: string; replace?: boolean; allowUndeclared?: boolean}
  const link = (request: FastifyRequest, {app: appName, label}: {app: string; label: string}, kind: ResourceKind, body: LinkBody, allowUndeclared = body.allowUndeclared) =>
    backends.forAccount(request.account!).linkStore({kind, app: appName, label, store: body.store, replace: body.replace, allowUndeclared})
  const unlink = (request: FastifyRequest, {app: appName, label}: {app: string; label: string}, kind: ResourceKind) =>
    backends.forAccount(request.account!).unlinkStore(appName, label, kind)

  app.route<RequestOf<typeof routes.linkLabel>>({
    ...routes.linkLabel,
    handler: async (request) => link(request, request.params, request.params.kind, request.body),
  })
  app.route<RequestOf<typeof routes.unlinkLabel>>({
    ...routes.unlinkLabel,
    handler: async (request) => unlink(request, request.params, request.params.kind),
  })
  app.route<RequestOf<typeof routes.linkKeyValueLabel>>({
    ...routes.linkKeyValueLabel,
    // kvcloud 0.1's clients checked labels themselves and linked any label this path was given.
    handler: async (request) => link(request, request.params, 'key-value', request.body, request.body.allowUndeclared ?? true),
  })
  app.route<RequestOf<typeof routes.unlinkKeyValueLabel>>({
    ...routes.unlinkKeyValueLabel,
    handler: async (request) => unlink(request, request.params, 'key-value'),
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
