// The link and unlink workflows of `link kv` and `unlink kv`: ask when the core says a link would
// move (through the caller), change the link, then bring the app's runtime config in step.

import type {Backend, LinkResult, UnlinkResult} from '../backend.js'
import type {CoreFact} from '../core/facts.js'
import {CancelledError, KvError, NotFoundError} from '../errors.js'
import {refreshAppRuntimeConfig, type RuntimeConfigOutcome} from '../spin/app-runtime-config.js'
import {validateLabel, validateStoreName} from '../validation.js'

export interface LinkLabelRequest {
  app: string
  label: string
  store: string
  /** Relink without asking when the label is linked to another store. */
  yes: boolean
  /** Link a label no component declares. */
  allowUndeclared: boolean
}

export interface LinkLabelOutcome {
  result: LinkResult
  /** The runtime config rewritten; 'unknown' when no deploy recorded one, 'remote' without store files. */
  runtimeConfig: RuntimeConfigOutcome | 'unknown' | 'remote'
}

export interface LinkSteps {
  /** Asked when the label is linked to another store and `yes` is not set: relink it? */
  confirmRelink(app: string, previous: string): Promise<boolean>
  /** Called once the link is made, before the runtime config is rewritten (which may fail). */
  linked(result: LinkResult): void
}

/**
 * Links `store` to the app under `label`. The core's rules decide (the app and the store exist,
 * the label is declared or allowed, where it points now); a label linked to another store is
 * relinked only when `yes` is set or `steps.confirmRelink` says so, and a no cancels with nothing
 * changed. The names are checked before the backend is opened.
 */
export async function linkLabel(getBackend: () => Promise<Backend>, request: LinkLabelRequest, steps: LinkSteps): Promise<LinkLabelOutcome> {
  const {label, store} = request
  validateLabel(label)
  validateStoreName(store)
  const backend = await getBackend()
  const link = (replace: boolean) => backend.linkStore({app: request.app, label, store, replace, allowUndeclared: request.allowUndeclared})
  let result: LinkResult
  try {
    result = await link(request.yes)
  } catch (error) {
    const linkedTo = await linkedElsewhere(backend, request, error)
    if (linkedTo === undefined) throw error
    if (!(await steps.confirmRelink(request.app, linkedTo))) {
      throw new CancelledError(`Cancelled; label "${label}" stays linked to key value store "${linkedTo}". Nothing was changed.`)
    }
    result = await link(true)
  }
  steps.linked(result)
  // Also when already linked: that repairs a runtime config table someone removed.
  return {result, runtimeConfig: await refreshAppRuntimeConfig(backend, result.app)}
}

/** The store the label is linked to when `error` says it is linked elsewhere; undefined for any other failure. */
async function linkedElsewhere(backend: Backend, request: LinkLabelRequest, error: unknown): Promise<string | undefined> {
  if (!(error instanceof KvError) || error.kind !== 'conflict') return undefined
  const fact = error.fact as CoreFact | undefined
  if (fact?.code === 'label-linked-elsewhere') return fact.linkedTo
  if (fact !== undefined) return undefined
  // A server from before failures carried facts: its conflict here is the same, and the app says where the label points.
  const app = await backend.getApp(request.app)
  const linkedTo = app.links.find((link) => link.label === request.label)?.store
  return linkedTo !== undefined && linkedTo !== request.store ? linkedTo : undefined
}

export interface UnlinkLabelOutcome {
  result: UnlinkResult
  runtimeConfig: RuntimeConfigOutcome | 'unknown' | 'remote'
}

/**
 * Removes the app's link for `label`, then its table from the app's runtime config. `unlinked` is
 * called in between, since rewriting the runtime config may fail.
 */
export async function unlinkLabel(backend: Backend, appName: string, label: string, unlinked: (result: UnlinkResult) => void): Promise<UnlinkLabelOutcome> {
  const app = await backend.getApp(appName)
  if (!app.links.some((link) => link.label === label)) {
    throw new NotFoundError(`No key value store found with label "${label}" for app "${app.name}"`, [
      app.links.length > 0 ? `Its linked labels are: ${app.links.map((link) => link.label).join(', ')}.` : 'It has no linked labels.',
    ])
  }
  const result = await backend.unlinkStore(app.name, label)
  unlinked(result)
  return {result, runtimeConfig: await refreshAppRuntimeConfig(backend, app.name, {remove: [label]})}
}
