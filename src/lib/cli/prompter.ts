// The plumbing of every question kvcloud asks, through @inquirer/prompts: streams, cancelling,
// and the four kinds of question. What is asked, in which words, lives with each workflow in
// questions/. The streams are injectable so tests can answer each question by writing keystrokes.
// Prompts draw on stderr by default: stdout is for data, and stays clean even under --json.
//
// Callers only ask when a person is at the terminal; with no terminal every question has a flag
// that answers it, and the command fails before asking (confirm-or-fail.ts).

import {confirm, input, password, select} from '@inquirer/prompts'
import {Writable} from 'node:stream'

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

  /** A line of text before a question (a heading, a warning). */
  say(line: string): void {
    this.output.write(line + '\n')
  }

  /** Picks one of `choices`; the first is preselected. */
  async choose<T>(message: string, choices: ReadonlyArray<{name: string; value: T}>): Promise<T> {
    return this.ask((context) => select<T>({message, choices: [...choices]}, context))
  }

  /** A line of text; `validate` returns true, or what to tell the person before they type again. */
  async text(message: string, options: {default?: string; validate?: (value: string) => true | string} = {}): Promise<string> {
    return this.ask((context) => input({message, ...options}, context))
  }

  /** Yes or no; `defaultAnswer` is what Enter means. */
  async yesNo(message: string, defaultAnswer: boolean): Promise<boolean> {
    return this.ask((context) => confirm({message, default: defaultAnswer}, context))
  }

  /** A secret, not echoed. */
  async secret(message: string): Promise<string> {
    return this.ask((context) => password({message, mask: false}, context))
  }
}
