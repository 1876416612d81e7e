// Whether a person can answer a question, and if not, why not, in the words every command uses.
// Kept free of imports: the command-not-found hook and the fast paths load it too.

export interface Interactivity {
  interactive: boolean
  /** Why nothing is asked, completing "…needs confirmation, and ___." (empty when interactive). */
  reason: string
}

/** Interactive when stdin and stdout are terminals and CI is unset (an empty CI= counts as unset). */
export function interactivity(
  env: NodeJS.ProcessEnv = process.env,
  terminals: {stdin?: boolean; stdout?: boolean} = {stdin: process.stdin.isTTY, stdout: process.stdout.isTTY},
): Interactivity {
  const atTerminal = Boolean(terminals.stdin && terminals.stdout)
  if (atTerminal && !env.CI) return {interactive: true, reason: ''}
  if (atTerminal) return {interactive: false, reason: `CI is set (CI=${env.CI}), so kvcloud asks no questions`}
  return {interactive: false, reason: 'there is no terminal to ask on'}
}
