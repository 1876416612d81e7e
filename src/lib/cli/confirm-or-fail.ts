import {commandLine} from '../cli-name.js'
import {InvalidInputError} from '../errors.js'

/** A change that needs a yes from the person at the terminal, or --yes from a script. */
export interface ConfirmationNeeded {
  /** What needs confirming, as the start of a sentence: `Deleting app "shop"`. */
  action: string
  /** What the refusal leaves as it was: "Nothing was deleted." */
  unchanged: string
  /** What the script line does, after "To": "delete it". */
  goal: string
  /** The kvcloud command line, without the program's name, that does it with --yes. */
  yesCommand: string
}

/**
 * The failure when nobody can answer: says what needed confirming and why nothing was asked
 * (`reason` completes "needs confirmation, and ___"), and prints the line to run instead.
 */
export function confirmationNeededError(needed: ConfirmationNeeded, reason: string): InvalidInputError {
  return new InvalidInputError(`${needed.action} needs confirmation, and ${reason}. ${needed.unchanged}`, [
    `To ${needed.goal} from a script, run: ${commandLine(needed.yesCommand)}`,
  ])
}
