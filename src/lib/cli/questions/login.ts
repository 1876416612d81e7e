import type {Prompter} from '../prompter.js'

/** `kvcloud login` without --token: the token, not echoed. */
export function askForToken(prompter: Prompter, url: string): Promise<string> {
  return prompter.secret(`API token for ${url}`)
}
