import type {FastifyInstance} from 'fastify'
import type {StoreInfo, StoreTarget} from '../backend.js'
import {InvalidInputError, NotFoundError} from '../errors.js'
import {decodePair} from '../remote/wire.js'
import type {ServerContext} from './build-server.js'
import {checkWellFormedPair} from './strict-json.js'
import {createStoreBody, keyValuePairBody, renameBody, storeLinkBody, storeListQuery, storeParams} from './schemas.js'
import {commandLine} from '../cli-name.js'

/** Fermyon's link shape: apps are known by name here, so `appId` and `appName` are the same. */
export function wireStore(store: StoreInfo): {name: string; links: Array<{label: string; appId: string; appName: string}>; createdAt: string} {
  return {name: store.name, links: store.links.map((l) => ({label: l.label, appId: l.app, appName: l.app})), createdAt: store.createdAt}
}

/** Fermyon Cloud's store routes, kept to its paths and bodies, plus `GET` of one store. */
export async function storeRoutes(app: FastifyInstance, {backends}: ServerContext): Promise<void> {
  type StoreParams = {store: string}

  app.get<{Querystring: {appId?: string; cursor?: string; limit?: number}}>(
    '/api/key-value-stores',
    {schema: {querystring: storeListQuery}},
    async (request) => {
      const {appId, cursor, limit} = request.query
      const page = await backends.forAccount(request.account!).listStores({app: appId, cursor, limit})
      return {keyValueStores: page.items.map(wireStore), ...(page.next ? {next: page.next} : {})}
    },
  )

  app.get<{Params: StoreParams}>('/api/key-value-stores/:store', {schema: {params: storeParams}}, async (request) =>
    wireStore(await backends.forAccount(request.account!).getStore(request.params.store)))

  app.post<{Params: StoreParams; Body: {label: string; appId: string} | null | undefined}>(
    '/api/key-value-stores/:store',
    {schema: {params: storeParams, body: createStoreBody}},
    async (request, reply) => {
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
  )

  app.delete<{Params: StoreParams}>('/api/key-value-stores/:store', {schema: {params: storeParams}}, async (request, reply) => {
    await backends.forAccount(request.account!).deleteStore(request.params.store)
    return reply.code(204).send()
  })

  app.patch<{Params: StoreParams; Body: string}>(
    '/api/key-value-stores/:store/rename',
    {schema: {params: storeParams, body: renameBody}},
    async (request, reply) => {
      await backends.forAccount(request.account!).renameStore(request.params.store, request.body)
      return reply.code(204).send()
    },
  )

  app.post<{Params: StoreParams; Body: {label: string; appId: string; replace?: boolean}}>(
    '/api/key-value-stores/:store/links',
    {schema: {params: storeParams, body: storeLinkBody}},
    async (request) => {
      const {label, appId, replace} = request.body
      return backends.forAccount(request.account!).linkStore({
        app: appId, label, store: request.params.store, replace,
        // Fermyon's clients check labels themselves, and its API links any valid label.
        allowUndeclared: true,
      })
    },
  )

  app.delete<{Params: StoreParams; Body: {label: string; appId: string}}>(
    '/api/key-value-stores/:store/links',
    {schema: {params: storeParams, body: storeLinkBody}},
    async (request) => {
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
  )

  app.post<{Body: {storeName?: string; appId?: string; label?: string; key: string; value: string; base64?: boolean}}>(
    '/api/key-value-pairs',
    {schema: {body: keyValuePairBody}},
    async (request, reply) => {
      const {storeName, appId, label, key, value, base64} = request.body
      const byApp = appId !== undefined || label !== undefined
      if ((storeName !== undefined) === byApp || (byApp && (appId === undefined || label === undefined))) {
        throw new InvalidInputError('Name the store with "storeName", or with "appId" and "label" (one of the two).')
      }
      const target: StoreTarget = storeName !== undefined ? {store: storeName} : {app: appId!, label: label!}
      checkWellFormedPair({key, value, base64}, 'the pair')
      await backends.forAccount(request.account!).setValues(target, [decodePair({key, value, base64})])
      return reply.code(204).send()
    },
  )
}
