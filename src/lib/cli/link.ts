// The link and unlink workflows of `link kv` and `unlink kv`: check the request, ask when a link
// would move (through the caller), change the link, then bring the app's runtime config in step.

import type {Backend, LinkResult, UnlinkResult} from '../backend.js'
import {commandLine} from '../cli-name.js'
import {CancelledError, InvalidInputError, NotFoundError} from '../errors.js'
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
 * Links `store` to the app under `label`. A label linked to another store is relinked only when
 * `yes` is set or `steps.confirmRelink` says so; a no cancels with nothing changed. The names are
 * checked before the backend is opened.
 */
export async function linkLabel(getBackend: () => Promise<Backend>, request: LinkLabelRequest, steps: LinkSteps): Promise<LinkLabelOutcome> {
  const {label, store: storeName} = request
  validateLabel(label)
  validateStoreName(storeName)
  const backend = await getBackend()
  const app = await backend.getApp(request.app)
  await backend.getStore(storeName).catch((error: unknown) => {
    // The incumbent's wording for a link to a store that is not there.
    if (error instanceof NotFoundError) {
      throw new NotFoundError(`Key value store "${storeName}" does not exist`, [
        `Run "${commandLine('kv list')}" to see your stores, or "${commandLine(`kv create ${storeName}`)}" to make it.`,
      ])
    }
    throw error
  })
  if (!app.labels.includes(label) && !request.allowUndeclared) {
    throw new InvalidInputError(
      `App "${app.name}" does not use the label "${label}": no component declares it in key_value_stores` +
        (app.labels.length > 0 ? ` (its labels: ${app.labels.join(', ')}).` : ' (it declares no labels).'),
      ['Check the spelling, or pass --allow-undeclared to link it anyway.'],
    )
  }

  const previous = app.links.find((link) => link.label === label)?.store
  let replace = false
  if (previous !== undefined && previous !== storeName) {
    replace = request.yes || (await steps.confirmRelink(app.name, previous))
    if (!replace) throw new CancelledError(`Cancelled; label "${label}" stays linked to key value store "${previous}". Nothing was changed.`)
  }

  const result = await backend.linkStore({app: app.name, label, store: storeName, replace, allowUndeclared: request.allowUndeclared})
  steps.linked(result)
  // Also when already linked: that repairs a runtime config table someone removed.
  return {result, runtimeConfig: await refreshAppRuntimeConfig(backend, app.name)}
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
