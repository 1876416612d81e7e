// What to do next, in the CLI's words (command lines, flags), for the facts that the core's
// failures carry. The same fact reaches here from the embedded backend and over the wire from a
// server, so the advice is the same on both.

import {commandLine} from '../cli-name.js'
import type {CoreFact} from '../core/facts.js'
import {NOUN} from '../core/facts.js'
import type {KvError} from '../errors.js'

/** The fact codes validation.ts gives limit failures; a server answers its own limits with hints of its own. */
type LimitFact = {code: 'key-too-large' | 'value-too-large'; limit: number}

/** The lines shown under an error's message: the advice its fact earns, then the hints it was given. */
export function adviceFor(error: KvError): string[] {
  const fact = error.fact as CoreFact | LimitFact | undefined
  return fact ? [...factAdvice(fact), ...error.hints] : error.hints
}

function factAdvice(fact: CoreFact | LimitFact): string[] {
  switch (fact.code) {
    case 'resource-not-found': return [`Run "${commandLine('kv list')}" to see your stores.`]
    case 'link-target-missing':
      return [`Run "${commandLine('kv list')}" to see your stores, or "${commandLine(`kv create ${fact.name}`)}" to make it.`]
    case 'resource-exists': return [`Choose another name, or run "${commandLine('kv list')}" to see your stores.`]
    case 'key-not-found': return [`Run "${commandLine(`kv keys --store ${fact.store}`)}" to see its keys.`]
    case 'app-not-found':
      return [`Run "${commandLine('apps list')}" to see your apps; an app comes into being with "${commandLine('deploy')}".`]
    case 'label-not-linked': return [`Run "${commandLine(`apps info ${fact.app}`)}" to see its links.`]
    case 'label-linked-elsewhere': return [`Pass --yes to link it to ${NOUN[fact.kind]} "${fact.wanted}" instead.`]
    case 'label-undeclared': {
      if (fact.flag === undefined) return ['Check the spelling, or pass --allow-undeclared to link it anyway.']
      const noun = NOUN[fact.kind]
      return [fact.declared.length > 0 ? `Its ${noun} labels are: ${fact.declared.join(', ')}.` : `It declares no ${noun} labels.`]
    }
    case 'label-linked-twice': return ['Pass one --link per label.']
    case 'no-seed-label':
      return [`Add "${fact.label}" to a component's key_value_stores, or after deploying run "${commandLine(`kv set --app ${fact.app} --label LABEL KEY=VALUE`)}".`]
    case 'links-kept-changing': return ['Run the command again once they have finished.']
    case 'key-too-large': return [`Raise it with "${commandLine('config set max-key-bytes N')}" if every backend you use allows it.`]
    case 'value-too-large': return [`Raise it with "${commandLine('config set max-value-bytes N')}" if every backend you use allows it.`]
    default:
      // Facts that need no advice, and codes a newer server may send.
      return []
  }
}
