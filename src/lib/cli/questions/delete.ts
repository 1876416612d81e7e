import {deleteQuestion} from '../render/delete-warning.js'
import type {Prompter} from '../prompter.js'

/** `kv delete`'s question: the warning lines, then the store's name to type. Returns what was typed, trimmed. */
export async function typeStoreNameToDelete(prompter: Prompter, name: string, warning: string[]): Promise<string> {
  for (const line of warning) prompter.say(line)
  return (await prompter.text(deleteQuestion(name))).trim()
}

/** `apps delete`'s question; the default answer is No. */
export function confirmAppDelete(prompter: Prompter, app: string, linkCount: number): Promise<boolean> {
  const links = linkCount === 1 ? 'its link' : `its ${linkCount} links`
  return prompter.yesNo(`Delete app "${app}" and ${links}? Its key value stores and their data are kept.`, false)
}
