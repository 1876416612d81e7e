// The delete workflows of `kv delete` and `apps delete`: confirm (through the caller), delete,
// then take what pointed at the deleted thing out of the runtime configs deploy wrote.

import type {AppInfo, Backend, StoreInfo} from '../backend.js'
import {forgetAppRuntimeConfig, recordOfApp, refreshRuntimeConfigsOfStore} from '../spin/app-runtime-config.js'
import type {RuntimeConfigChange} from '../spin/runtime-config.js'

export interface DeleteSteps<T> {
  /** Called with what is about to go; throws to stop (declined, cancelled, nobody to ask). */
  confirm(about: T): Promise<void>
  /** Called once it is deleted, before the runtime configs are rewritten (which may fail). */
  deleted(): void
}

/** Deletes a store, its data and its links; returns the store as it was and the runtime configs changed. */
export async function deleteStore(
  backend: Backend,
  name: string,
  steps: DeleteSteps<StoreInfo>,
): Promise<{store: StoreInfo; runtimeConfigs: RuntimeConfigChange[]}> {
  const store = await backend.getStore(name)
  await steps.confirm(store)
  await backend.deleteStore(name)
  steps.deleted()
  return {store, runtimeConfigs: await refreshRuntimeConfigsOfStore(backend, store.links)}
}

/** Deletes an app and its links (its stores stay); returns the app as it was and its runtime config's change. */
export async function deleteApp(
  backend: Backend,
  name: string,
  steps: DeleteSteps<AppInfo>,
): Promise<{app: AppInfo; runtimeConfig?: RuntimeConfigChange}> {
  const app = await backend.getApp(name)
  await steps.confirm(app)
  // On the local backend, the record of its runtime config goes with it: read it first.
  const record = await recordOfApp(backend, name)
  await backend.deleteApp(name)
  steps.deleted()
  return {app, runtimeConfig: forgetAppRuntimeConfig(backend, name, record)}
}
