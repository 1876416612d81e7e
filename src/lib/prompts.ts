// Every question kvcloud asks, in one place, through @inquirer/prompts. The streams are injectable
// so tests can answer each question by writing keystrokes. Prompts draw on stderr by default:
// stdout is for data, and stays clean even under --json.
//
// Callers only ask when a person is at the terminal; with no terminal every question has a flag
// that answers it, and the command fails before asking.

import {confirm, input, password, select} from '@inquirer/prompts'
import {Writable} from 'node:stream'
import {answerLabel, storeChoices, suggestedStoreName, type DeployPlan} from './deploy/plan.js'
import {deleteQuestion} from './render/delete-warning.js'
import {STORE_NAME_RULE, validateStoreName} from './validation.js'

/** The user pressed Ctrl-C or Esc: stop, change nothing. */
export class PromptCancelledError extends Error {
  constructor() {
    super('Cancelled')
    this.name = 'PromptCancelledError'
  }
}

export interface PromptStreams {
  input?: NodeJS.ReadableStream
  output?: NodeJS.WritableStream
}

type Context = NonNullable<Parameters<typeof select>[1]>

type KeypressEmitter = NodeJS.ReadableStream & {
  on(event: 'keypress', listener: (text: string | undefined, key: {name?: string} | undefined) => void): unknown
}

export class Prompter {
  private readonly input: NodeJS.ReadableStream
  private readonly output: NodeJS.WritableStream

  constructor(streams: PromptStreams = {}) {
    this.input = streams.input ?? process.stdin
    this.output = streams.output ?? process.stderr
  }

  /** Runs one inquirer prompt; Esc aborts it, and any way of abandoning it becomes PromptCancelledError. */
  private async ask<T>(run: (context: Context) => Promise<T>): Promise<T> {
    const controller = new AbortController()
    const onKeypress = (_text: string | undefined, key: {name?: string} | undefined) => {
      if (key?.name === 'escape') controller.abort()
    }
    const source = this.input as KeypressEmitter
    // inquirer's readline turns the input into keypress events when the prompt starts.
    const pending = run({input: this.input, output: this.promptOutput(), signal: controller.signal})
    source.on('keypress', onKeypress)
    try {
      return await pending
    } catch (error) {
      const name = (error as Error).name
      if (name === 'ExitPromptError' || name === 'AbortPromptError' || name === 'CancelPromptError') {
        throw new PromptCancelledError()
      }
      throw error
    } finally {
      source.removeListener('keypress', onKeypress)
    }
  }

  /**
   * inquirer ends the output stream it is given when a prompt finishes (harmless for stdout and
   * stderr, which never end). Any other stream gets a fresh forwarder per prompt, so one Prompter
   * can ask many questions on it.
   */
  private promptOutput(): NodeJS.WritableStream {
    if (this.output === process.stderr || this.output === process.stdout) return this.output
    const target = this.output as NodeJS.WritableStream & {columns?: number}
    const forwarder = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        target.write(chunk, (error) => callback(error ?? undefined))
      },
    })
    // inquirer wraps lines at the width of the stream it writes to.
    Object.defineProperty(forwarder, 'columns', {get: () => target.columns})
    return forwarder
  }

  /** The line that opens the questions about one label. */
  announceLabel(app: string, label: string): void {
    this.output.write(`App "${app}" accesses a key value store labeled "${label}"\n`)
  }

  /** The two-way question for a label nobody linked yet. */
  async chooseLinkKind(): Promise<'existing' | 'create'> {
    return this.ask((context) =>
      select<'existing' | 'create'>(
        {
          message: `Would you like to link an existing key value store or create a new key value store?`,
          choices: [
            {name: 'Use an existing key value store and link app to it', value: 'existing'},
            {name: 'Create a new key value store and link the app to it', value: 'create'},
          ],
        },
        context,
      ),
    )
  }

  async pickStore(app: string, label: string, stores: Array<{name: string; isNew: boolean}>): Promise<string> {
    return this.ask((context) =>
      select<string>(
        {
          message: `Which key value store would you like to link to ${app} using the label "${label}"`,
          choices: stores.map((store) => ({
            name: store.isNew ? `${store.name} (created by this deploy)` : store.name,
            value: store.name,
          })),
        },
        context,
      ),
    )
  }

  /** Asks for a new store's name; the default is `suggested`, and every answer is checked before it is taken. */
  async newStoreName(app: string, label: string, suggested: string, taken: readonly string[]): Promise<string> {
    const lowerTaken = new Set(taken.map((name) => name.toLowerCase()))
    this.output.write(
      `The name of a key value store belongs to your account, not to the app: "${app}" refers to the store by its label "${label}".\n`,
    )
    const answer = await this.ask((context) =>
      input(
        {
          message: `What would you like to name your key value store?`,
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
        },
        context,
      ),
    )
    return answer.trim()
  }

  /** The relink question; the default answer is No. */
  async confirmRelink(app: string, label: string, previous: string, next: string): Promise<boolean> {
    return this.ask((context) =>
      confirm(
        {
          message: `App "${app}"'s "${label}" label is currently linked to "${previous}". Change to link to key value store "${next}" instead?`,
          default: false,
        },
        context,
      ),
    )
  }

  /** `kv delete`'s question: the warning lines, then the store's name to type. Returns what was typed, trimmed. */
  async typeStoreNameToDelete(name: string, warning: string[]): Promise<string> {
    for (const line of warning) this.output.write(line + '\n')
    const answer = await this.ask((context) => input({message: deleteQuestion(name)}, context))
    return answer.trim()
  }

  /** `kvcloud login` without --token: the token, not echoed. */
  async token(url: string): Promise<string> {
    return this.ask((context) => password({message: `API token for ${url}`, mask: false}, context))
  }

  /** After a deploy to a server: remove the local runtime config's kvcloud tables? Default No. */
  async confirmRemoveStaleEntries(file: string, labels: string[]): Promise<boolean> {
    return this.ask((context) =>
      confirm({message: `Remove kvcloud's tables for ${labels.join(', ')} from ${file}?`, default: false}, context),
    )
  }

  async confirmSpinDataImport(data: {label: string; file: string; pairs: number}, store: string): Promise<boolean> {
    return this.ask((context) =>
      confirm({message: `Spin keeps ${data.pairs.toLocaleString('en-US')} pairs for "${data.label}" in ${data.file}. Import them into key value store "${store}"?`, default: true}, context),
    )
  }

  async confirmAppDelete(app: string, linkCount: number): Promise<boolean> {
    const links = linkCount === 1 ? 'its link' : `its ${linkCount} links`
    return this.ask((context) =>
      confirm(
        {
          message: `Delete app "${app}" and ${links}? Its key value stores and their data are kept.`,
          default: false,
        },
        context,
      ),
    )
  }
}

/**
 * Asks about every unanswered label, in label order, and returns the finished plan. With no store
 * to pick from, goes straight to naming a new one. Nothing is changed here: a cancel simply
 * throws PromptCancelledError before the plan reaches the backend.
 */
export async function askForUnansweredLabels(plan: DeployPlan, prompter: Prompter): Promise<DeployPlan> {
  let current = plan
  for (const label of plan.unanswered) {
    const choices = storeChoices(current)
    prompter.announceLabel(current.app.name, label)
    const kind = choices.length === 0 ? 'create' : await prompter.chooseLinkKind()
    if (kind === 'existing') {
      const store = await prompter.pickStore(current.app.name, label, choices)
      current = answerLabel(current, label, {kind: 'existing', store})
    } else {
      const store = await prompter.newStoreName(
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
