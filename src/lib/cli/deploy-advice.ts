// What the CLI tells a deploy that nobody can answer: the labels left, and a command to copy.

import {formatLinkSpec, type LinkSpec} from '../deploy/link-spec.js'
import type {DeployPlan} from '../deploy/plan.js'
import {defaultStoreName} from '../deploy/store-name.js'
import {InvalidInputError} from '../errors.js'
import {shellQuote} from '../shell.js'

export interface CommandLineParts {
  /** How the user runs kvcloud (cliName()): "kvcloud", or "spin kvcloud" inside Spin. */
  bin: string
  /** Flags to repeat before the links, as typed (e.g. ["-f", "app/spin.toml"]). */
  leadingArgs: string[]
  links: readonly LinkSpec[]
  /** Flags to repeat after the links (e.g. --key-value, --runtime-config). */
  trailingArgs: string[]
}

/** Why no question was asked, completing "…needs an answer, and ___." */
export interface NoQuestions {
  reason: string
}

/**
 * The failure for a deploy that has labels nobody answered and no terminal to ask: lists the
 * labels and gives a command to copy that answers every one with the `APP-LABEL` store.
 */
export function unansweredLabelsError(plan: DeployPlan, parts: CommandLineParts, why: NoQuestions): InvalidInputError {
  const labels = plan.unanswered
  const suggested: LinkSpec[] = labels.map((label) => ({kind: 'kv', label, target: defaultStoreName(plan.app.name, label)}))
  const command = deployCommandLine({...parts, links: [...parts.links, ...suggested]})
  const count = labels.length === 1 ? 'a label' : `${labels.length} labels`
  return new InvalidInputError(
    `App "${plan.app.name}" has ${count} with no key value store linked: ${labels.join(', ')}. Nothing was changed: which store each uses needs an answer, and ${why.reason}.`,
    [
      'Say which store each label uses with --link kv:LABEL=STORE (a missing store is created), or pass --yes to link each one to a store named APP-LABEL, for example:',
      `  ${command}`,
    ],
  )
}

export function deployCommandLine(parts: CommandLineParts): string {
  const links = parts.links.flatMap((spec) => ['--link', formatLinkSpec(spec)])
  // The name is not quoted: inside Spin it is the two words `spin kvcloud`.
  return [parts.bin, ...['deploy', ...parts.leadingArgs, ...links, ...parts.trailingArgs].map(shellQuote)].join(' ')
}

