import {PassThrough, Writable} from 'node:stream'
import {stripVTControlCharacters} from 'node:util'

export const keys = {
  enter: '\r',
  down: '\u001b[B',
  up: '\u001b[A',
  escape: '\u001b',
  ctrlC: '\u0003',
  backspace: '\u007f',
}

/**
 * A fake terminal for prompts: each step waits until the screen shows `when`, then types `keys`.
 * Typing only after the question appears mirrors a person and keeps keystrokes from reaching an
 * earlier prompt.
 */
export class ScriptedTerminal {
  readonly input = new PassThrough()
  readonly output: Writable
  private text = ''
  private readonly steps: Array<{when: RegExp; keys: string}> = []
  private cursor = 0

  constructor() {
    this.output = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        this.text += chunk.toString('utf8')
        this.advance()
        callback()
      },
    })
    // A wide terminal, so questions are not wrapped across lines.
    Object.defineProperty(this.output, 'columns', {value: 200})
  }

  /** Queues an answer: when the screen (after the previous answer) matches `when`, type `keys`. */
  on(when: RegExp, ...typed: string[]): this {
    this.steps.push({when, keys: typed.join('')})
    return this
  }

  /** Everything shown so far, without colours and cursor movements. */
  get screen(): string {
    return stripVTControlCharacters(this.text)
  }

  get pendingSteps(): number {
    return this.steps.length
  }

  private advance(): void {
    const step = this.steps[0]
    if (!step) return
    const shown = stripVTControlCharacters(this.text.slice(this.cursor))
    if (!step.when.test(shown)) return
    this.steps.shift()
    this.cursor = this.text.length
    // Let the prompt finish rendering and start listening before the keys arrive.
    setImmediate(() => {
      for (const char of splitKeys(step.keys)) this.input.write(char)
    })
  }
}

/** Sends escape sequences whole and other characters one by one, as a terminal does. */
function splitKeys(typed: string): string[] {
  // eslint-disable-next-line no-control-regex -- the escape character is the point
  return typed.match(/\u001b\[[A-D]|[\s\S]/g) ?? []
}
