// Pure deploy planning: from a manifest, the app as the backend knows it, the existing stores and
// the user's answers (flags first, then questions), decide what happens to every label. No I/O here;
// the command asks the questions and hands the finished plan to backend.deploy() in one call.

import type {AppInfo, AppLink, ComponentInfo, DeployAction, DeployRequest, Pair} from '../backend.js'
import {InvalidInputError} from '../errors.js'
import {compareText, type SpinManifest} from '../spin/manifest.js'
import {validateAppName, validateStoreName} from '../validation.js'
import {formatLinkSpec, RESOURCE_KIND, type LinkSpec} from './link-spec.js'
import {requireDeclared} from '../core/rules.js'
import {defaultStoreName, uniqueStoreName} from './store-name.js'

export type PlannedAction = 'kept' | 'link' | 'create' | 'relink'

export interface LabelPlan {
  label: string
  store: string
  /** kept: already linked to this store · link: an existing store · create: a new store, then link · relink: was another store. */
  action: PlannedAction
  /** The store does not exist yet; this deploy creates it (for `relink` and `link` to a store another label creates). */
  newStore: boolean
  previousStore?: string
  /** Where the decision came from. */
  source: 'current' | 'flag' | 'yes' | 'answer'
}

export interface DeployPlan {
  manifestFile: string
  app: {name: string; version?: string; description?: string; components: ComponentInfo[]}
  /** The revision the app has now; undefined for a first deploy. */
  currentRevision?: number
  /** The app's links before this deploy, sorted by label. */
  currentLinks: AppLink[]
  /** Decided labels, sorted by label. */
  labels: LabelPlan[]
  /** Labels that still need an answer (a question, or a flag), sorted. */
  unanswered: string[]
  /** Labels linked for this app that no component declares any more; left as they are. */
  unused: AppLink[]
  /** SQLite labels the manifest declares; kvcloud does not link databases yet. */
  sqliteLabels: string[]
  /** Names of the stores that exist before this deploy, sorted. */
  existingStores: string[]
}

export interface PlanInput {
  manifest: SpinManifest
  /** The app as deployed now; undefined when this is its first deploy. */
  current?: AppInfo
  /** Every store name the account has. */
  existingStores: readonly string[]
  /** Parsed `--link` flags. */
  links: readonly LinkSpec[]
  /** `--yes`: link every label nobody answered to `APP-LABEL`, reusing it when it exists. */
  yes: boolean
}

export function planDeploy(input: PlanInput): DeployPlan {
  const {manifest, current} = input
  validateAppName(manifest.name)
  const declared = new Set(manifest.keyValueLabels)

  for (const spec of input.links) {
    const labels = spec.kind === 'kv' ? manifest.keyValueLabels : manifest.sqliteLabels
    requireDeclared(manifest.name, RESOURCE_KIND[spec.kind], spec.label, labels, {source: {flag: `--link ${formatLinkSpec(spec)}`, manifestFile: manifest.file}})
  }
  const sqliteLinks = input.links.filter((spec) => spec.kind === 'sqlite')
  if (sqliteLinks.length > 0) {
    throw new InvalidInputError(
      `kvcloud does not link SQLite databases yet, so it cannot apply ${sqliteLinks.map((spec) => `--link ${formatLinkSpec(spec)}`).join(', ')}.`,
      ['Remove the sqlite: links and deploy again; the app keeps its SQLite labels and kvcloud leaves them alone.'],
    )
  }

  const currentLinks = new Map((current?.links ?? []).map((link) => [link.label, link.store]))
  const flagFor = new Map(input.links.map((spec) => [spec.label, spec.target]))
  let plan: DeployPlan = {
    manifestFile: manifest.file,
    app: {name: manifest.name, version: manifest.version, description: manifest.description, components: manifest.components},
    currentRevision: current?.revision,
    currentLinks: [...(current?.links ?? [])].sort((a, b) => compareText(a.label, b.label)),
    labels: [],
    unanswered: [],
    unused: (current?.links ?? []).filter((link) => !declared.has(link.label)),
    sqliteLabels: manifest.sqliteLabels,
    existingStores: [...input.existingStores].sort(compareText),
  }

  for (const label of manifest.keyValueLabels) {
    const linked = currentLinks.get(label)
    const wanted = flagFor.get(label)
    if (wanted !== undefined) {
      plan = decide(plan, label, wanted, 'flag')
    } else if (linked !== undefined) {
      plan = addLabel(plan, {label, store: linked, action: 'kept', newStore: false, source: 'current'})
    } else if (input.yes) {
      plan = decide(plan, label, defaultStoreName(manifest.name, label), 'yes')
    } else {
      plan = {...plan, unanswered: [...plan.unanswered, label]}
    }
  }
  return plan
}

/** What a person chose for one label: an existing store (or one this deploy creates), or a new name. */
export type LabelAnswer = {kind: 'existing'; store: string} | {kind: 'create'; store: string}

/** The plan with `label` answered. Pure; throws when the answer does not fit the plan. */
export function answerLabel(plan: DeployPlan, label: string, answer: LabelAnswer): DeployPlan {
  if (!plan.unanswered.includes(label)) {
    throw new InvalidInputError(`Label "${label}" does not need an answer.`)
  }
  validateStoreName(answer.store)
  const known = storeChoices(plan).some((choice) => choice.name === answer.store)
  if (answer.kind === 'existing' && !known) {
    throw new InvalidInputError(`Key value store "${answer.store}" does not exist`)
  }
  if (answer.kind === 'create' && known) {
    throw new InvalidInputError(`Key value store "${answer.store}" already exists`)
  }
  return decide({...plan, unanswered: plan.unanswered.filter((other) => other !== label)}, label, answer.store, 'answer')
}

/** Stores a label may be linked to: the existing ones and those this plan creates, sorted by name. */
export function storeChoices(plan: DeployPlan): Array<{name: string; isNew: boolean}> {
  const planned = plan.labels.filter((entry) => entry.newStore).map((entry) => entry.store)
  const names = new Set([...plan.existingStores, ...planned])
  const existing = new Set(plan.existingStores)
  return [...names].sort(compareText).map((name) => ({name, isNew: !existing.has(name)}))
}

/** The name the "create" question proposes: `APP-LABEL`, made unique against every store known to the plan. */
export function suggestedStoreName(plan: DeployPlan, label: string): string {
  return uniqueStoreName(defaultStoreName(plan.app.name, label), storeChoices(plan).map((choice) => choice.name))
}

function decide(plan: DeployPlan, label: string, store: string, source: LabelPlan['source']): DeployPlan {
  const exists = plan.existingStores.includes(store)
  const createdHere = plan.labels.some((entry) => entry.newStore && entry.store === store)
  const newStore = !exists
  const previous = plan.currentLinks.find((link) => link.label === label)?.store
  let action: PlannedAction
  if (previous === store) action = 'kept'
  else if (previous !== undefined) action = 'relink'
  else if (newStore && !createdHere) action = 'create'
  else action = 'link'
  return addLabel(plan, {label, store, action, newStore, source, ...(previous !== undefined && previous !== store ? {previousStore: previous} : {})})
}

function addLabel(plan: DeployPlan, entry: LabelPlan): DeployPlan {
  const labels = [...plan.labels.filter((other) => other.label !== entry.label), entry].sort((a, b) => compareText(a.label, b.label))
  return {...plan, labels}
}

/** The one request the backend applies atomically. Every declared label is sent, kept ones too. */
export function toDeployRequest(plan: DeployPlan, seed?: Pair[]): DeployRequest {
  if (plan.unanswered.length > 0) {
    throw new Error(`deploy plan still has unanswered labels: ${plan.unanswered.join(', ')}`)
  }
  return {
    app: plan.app,
    links: plan.labels.map((entry) => ({label: entry.label, store: entry.store, create: entry.newStore})),
    ...(seed && seed.length > 0 ? {seed} : {}),
  }
}

export const ACTION_WORDS: Record<PlannedAction, DeployAction> = {
  kept: 'kept',
  link: 'linked',
  create: 'created',
  relink: 'relinked',
}
