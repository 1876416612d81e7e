import type {Prompter} from '../prompter.js'

/** `link kv` for a label linked to another store: relink it? The default answer is No. */
export function confirmRelink(prompter: Prompter, app: string, label: string, previous: string, next: string): Promise<boolean> {
  return prompter.yesNo(
    `App "${app}"'s "${label}" label is currently linked to "${previous}". Change to link to key value store "${next}" instead?`,
    false,
  )
}
