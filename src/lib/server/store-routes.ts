import type {FastifyInstance} from 'fastify'
import type {StoreInfo, StoreTarget} from '../backend.js'
import {storeRoutes as routes, type RequestOf} from '../api/routes.js'
import type {Static, WireStore} from '../api/schemas.js'
import {InvalidInputError, NotFoundError} from '../errors.js'
import type {ServerContext} from './context.js'
import {pairFromEntry} from './entries.js'
import {commandLine} from '../cli-name.js'

/** Fermyon's link shape: apps are known by name here, so `appId` and `appName` are the same. */
function wireStore(store: StoreInfo): Static<typeof WireStore> {
  return {name: store.name, links: store.links.map((l) => ({label: l.label, appId: l.app, appName: l.app})), createdAt: store.createdAt}
}

/** Fermyon Cloud's store routes, kept to its paths and bodies, plus `GET` of one store. */
export async function storeRoutes(app: FastifyInstance, {backends}: ServerContext): Promise<void> {
  app.route<RequestOf<typeof routes.listStores>>({
    ...routes.listStores,
    handler: async (request) => {
      const {appId, cursor, limit} = request.query
      const page = await backends.forAccount(request.account!).listStores({app: appId, cursor, limit})
      return {keyValueStores: page.items.map(wireStore), ...(page.next ? {next: page.next} : {})}
    },
  })

  app.route<RequestOf<typeof routes.getStore>>({
    ...routes.getStore,
    handler: async (request) => wireStore(await backends.forAccount(request.account!).getStore(request.params.store)),
  })

  app.route<RequestOf<typeof routes.createStore>>({
    ...routes.createStore,
    handler: async (request, reply) => {
      const backend = backends.forAccount(request.account!)
      const {store} = request.params
      let created = await backend.createStore(store)
      const link = request.body
      if (link) {
        try {
          await backend.linkStore({app: link.appId, label: link.label, store, allowUndeclared: true})
        } catch (error) {
          // Fermyon creates and links in one call: a failed link must not leave the store behind.
          await backend.deleteStore(store).catch(() => undefined)
          throw error
        }
        created = await backend.getStore(store)
      }
      return reply.code(201).send(wireStore(created))
    },
  })

  app.route<RequestOf<typeof routes.deleteStore>>({
    ...routes.deleteStore,
    handler: async (request, reply) => {
      await backends.forAccount(request.account!).deleteStore(request.params.store)
      return reply.code(204).send()
    },
  })

  app.route<RequestOf<typeof routes.renameStore>>({
    ...routes.renameStore,
    handler: async (request, reply) => {
      await backends.forAccount(request.account!).renameStore(request.params.store, request.body)
      return reply.code(204).send()
    },
  })

  app.route<RequestOf<typeof routes.linkStore>>({
    ...routes.linkStore,
    handler: async (request) => {
      const {label, appId, replace} = request.body
      return backends.forAccount(request.account!).linkStore({
        app: appId, label, store: request.params.store, replace,
        // Fermyon's clients check labels themselves, and its API links any valid label.
        allowUndeclared: true,
      })
    },
  })

  app.route<RequestOf<typeof routes.unlinkStore>>({
    ...routes.unlinkStore,
    handler: async (request) => {
      const backend = backends.forAccount(request.account!)
      const {label, appId} = request.body
      const {store} = request.params
      const appInfo = await backend.getApp(appId)
      if (appInfo.links.find((l) => l.label === label)?.store !== store) {
        throw new NotFoundError(
          `Key value store "${store}" is not linked to app "${appInfo.name}" with the label "${label}"`,
          [`Run "${commandLine(`apps info ${appInfo.name}`)}" to see its links.`],
        )
      }
      return backend.unlinkStore(appId, label)
    },
  })

  app.route<RequestOf<typeof routes.setPair>>({
    ...routes.setPair,
    handler: async (request, reply) => {
      const {storeName, appId, label, key, value, base64} = request.body
      const byApp = appId !== undefined || label !== undefined
      if ((storeName !== undefined) === byApp || (byApp && (appId === undefined || label === undefined))) {
        throw new InvalidInputError('Name the store with "storeName", or with "appId" and "label" (one of the two).')
      }
      const target: StoreTarget = storeName !== undefined ? {store: storeName} : {app: appId!, label: label!}
      await backends.forAccount(request.account!).setValues(target, [pairFromEntry({key, value, base64}, 'the pair')])
      return reply.code(204).send()
    },
  })
}
