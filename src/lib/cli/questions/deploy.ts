// What deploy asks: for each label nothing answered, an existing store or a new one (and its
// name); after a deploy, whether to import Spin's own data and whether to drop stale tables.

import {answerLabel, storeChoices, suggestedStoreName, type DeployPlan} from '../../deploy/plan.js'
import type {SpinData} from '../../spin/spin-data.js'
import {STORE_NAME_RULE, validateStoreName} from '../../validation.js'
import type {Prompter} from '../prompter.js'

/**
 * Asks about every unanswered label, in label order, and returns the finished plan. With no store
 * to pick from, goes straight to naming a new one. Nothing is changed here: a cancel simply
 * throws PromptCancelledError before the plan reaches the backend.
 */
export async function askForUnansweredLabels(plan: DeployPlan, prompter: Prompter): Promise<DeployPlan> {
  let current = plan
  for (const label of plan.unanswered) {
    const choices = storeChoices(current)
    prompter.say(`App "${current.app.name}" accesses a key value store labeled "${label}"`)
    const kind = choices.length === 0 ? 'create' : await chooseLinkKind(prompter)
    if (kind === 'existing') {
      const store = await pickStore(prompter, current.app.name, label, choices)
      current = answerLabel(current, label, {kind: 'existing', store})
    } else {
      const store = await newStoreName(
        prompter,
        current.app.name,
        label,
        suggestedStoreName(current, label),
        choices.map((choice) => choice.name),
      )
      current = answerLabel(current, label, {kind: 'create', store})
    }
  }
  return current
}

/** The two-way question for a label nobody linked yet. */
function chooseLinkKind(prompter: Prompter): Promise<'existing' | 'create'> {
  return prompter.choose<'existing' | 'create'>('Would you like to link an existing key value store or create a new key value store?', [
    {name: 'Use an existing key value store and link app to it', value: 'existing'},
    {name: 'Create a new key value store and link the app to it', value: 'create'},
  ])
}

function pickStore(prompter: Prompter, app: string, label: string, stores: Array<{name: string; isNew: boolean}>): Promise<string> {
  return prompter.choose(
    `Which key value store would you like to link to ${app} using the label "${label}"`,
    stores.map((store) => ({name: store.isNew ? `${store.name} (created by this deploy)` : store.name, value: store.name})),
  )
}

/** Asks for a new store's name; the default is `suggested`, and every answer is checked before it is taken. */
async function newStoreName(prompter: Prompter, app: string, label: string, suggested: string, taken: readonly string[]): Promise<string> {
  const lowerTaken = new Set(taken.map((name) => name.toLowerCase()))
  prompter.say(`The name of a key value store belongs to your account, not to the app: "${app}" refers to the store by its label "${label}".`)
  const answer = await prompter.text('What would you like to name your key value store?', {
    default: suggested,
    validate: (value: string) => {
      const name = value.trim()
      try {
        validateStoreName(name)
      } catch {
        return `${STORE_NAME_RULE}.`
      }
      if (lowerTaken.has(name.toLowerCase())) return `Key value store "${name}" already exists. Type another name.`
      return true
    },
  })
  return answer.trim()
}

/** After a deploy to a server: remove the local runtime config's kvcloud tables? Default No. */
export function confirmRemoveStaleEntries(prompter: Prompter, file: string, labels: string[]): Promise<boolean> {
  return prompter.yesNo(`Remove kvcloud's tables for ${labels.join(', ')} from ${file}?`, false)
}

/** After linking a label: import what Spin kept for it? Default Yes. */
export function confirmSpinDataImport(prompter: Prompter, data: SpinData, store: string): Promise<boolean> {
  return prompter.yesNo(
    `Spin keeps ${data.pairs.toLocaleString('en-US')} pairs for "${data.label}" in ${data.file}. Import them into key value store "${store}"?`,
    true,
  )
}
