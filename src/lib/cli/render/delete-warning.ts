import type {StoreInfo} from '../../backend.js'
import {commandLine} from '../../cli-name.js'

/** What `kv delete` says before asking, when the store is linked to apps. Empty when it is not. */
export function deleteWarning(store: StoreInfo): string[] {
  if (store.links.length === 0) return []
  const apps = [...new Set(store.links.map((link) => link.app))]
  const links = store.links.map((link) => `app "${link.app}" (label "${link.label}")`).join(', ')
  return [
    `Key value store "${store.name}" is linked to ${apps.length === 1 ? '1 app' : `${apps.length} apps`}: ${links}.`,
    'Deleting it removes these links too; each app then fails to open its label until you link another key value store,',
    `e.g. "${commandLine('link kv LABEL -a APP -s STORE')}".`,
  ]
}

export function deleteQuestion(name: string): string {
  return `The action is irreversible. Please type "${name}" for confirmation`
}
