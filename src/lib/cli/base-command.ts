import {Command, Errors, Flags, Interfaces} from '@oclif/core'
import type {Backend} from '../backend.js'
import {CancelledError, KvError, UsageError} from '../errors.js'
import {interactivity} from './interactive.js'
import {confirmationNeededError, type ConfirmationNeeded} from './confirm-or-fail.js'
import type {Prompter, PromptStreams} from './prompter.js'
import {chalk} from './output.js'
import {resolveBackend} from './backend-choice.js'
import {adviceFor} from './advice.js'

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * Owns what every command shares: --json, --local and --verbose, the backend (resolved once,
 * closed at the end), whether a person is at the terminal, and the mapping of typed errors to
 * one line on stderr and the documented exit code.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    local: Flags.boolean({
      description: 'Use the local backend even when logged in to a server.',
      helpGroup: 'GLOBAL',
    }),
    verbose: Flags.boolean({
      description: 'Show details of failures (stack traces of unexpected errors).',
      helpGroup: 'GLOBAL',
    }),
  }

  protected flags!: CommandFlags<T>
  protected args!: CommandArgs<T>
  private backendPromise?: Promise<Backend>

  public override async init(): Promise<void> {
    await super.init()
    const {args, flags} = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as CommandFlags<T>
    this.args = args as CommandArgs<T>
  }

  /** The backend for this run, resolved on first use. */
  protected backend(): Promise<Backend> {
    this.backendPromise ??= resolveBackend({forceLocal: this.flags.local}).then((backend) => {
      // Say so when a command goes to a shared server rather than this machine's stores.
      if (backend.kind === 'remote' && 'url' in backend) this.note(`Using the kvcloud server at ${backend.url}`)
      return backend
    })
    return this.backendPromise
  }

  /** A person can answer questions: stdin and stdout are terminals and CI is unset. */
  protected get interactive(): boolean {
    return interactivity().interactive
  }

  /** Why no question can be asked, to finish "…needs confirmation, and ___": no terminal, or CI set. */
  protected get noQuestionsReason(): string {
    return interactivity().reason
  }

  /**
   * Asks the person at the terminal. A question they cancel (Ctrl-C, Esc) ends the command with
   * `cancelled` as a CancelledError (exit 130). The prompt library is loaded only here, so
   * commands that ask nothing never pay for it.
   */
  protected async ask<A>(question: (prompter: Prompter) => Promise<A>, cancelled: string, streams?: PromptStreams): Promise<A> {
    const {PromptCancelledError, Prompter} = await import('./prompter.js')
    try {
      return await question(new Prompter(streams))
    } catch (error) {
      if (error instanceof PromptCancelledError) throw new CancelledError(cancelled)
      throw error
    }
  }

  /**
   * Asks for a confirmation when a person is at the terminal; otherwise fails at once with what
   * needed it and the command line that answers it with --yes.
   */
  protected async confirmOrFail<A>(
    needed: ConfirmationNeeded,
    question: (prompter: Prompter) => Promise<A>,
    cancelled: string,
    streams?: PromptStreams,
  ): Promise<A> {
    if (!this.interactive) throw confirmationNeededError(needed, this.noQuestionsReason)
    return this.ask(question, cancelled, streams)
  }

  /** A note for people: stderr, and silent under --json. */
  protected note(message: string): void {
    if (!this.jsonEnabled()) process.stderr.write(message + '\n')
  }

  protected override async catch(error: Error & {oclif?: {exit?: number}; exitCode?: number}): Promise<unknown> {
    if (error instanceof Errors.ExitError) throw error
    // A command line the parser refused: kvcloud's one error shape, never oclif's dump of its
    // parser state (which holds the whole config and every flag value, a token included).
    const kvError = error instanceof Errors.CLIError && !(error instanceof KvError) ? usageErrorOf(error, this.argv) : error
    if (kvError instanceof KvError) {
      if (this.jsonEnabled()) {
        this.logJson({error: {kind: kvError.kind, message: kvError.message, hints: adviceFor(kvError), exitCode: kvError.exitCode}})
      }
      // A declined or cancelled question is an answer, not a failure: one plain line.
      if (kvError instanceof CancelledError) process.stderr.write(`${kvError.message}\n`)
      else this.printError(kvError.message, adviceFor(kvError))
      return this.exit(kvError.exitCode)
    }
    // Anything else is a bug or an I/O failure nobody typed: one line, details on request.
    const detail = this.flags?.verbose || process.env.DEBUG?.includes('kvcloud') ? `\n${error.stack}` : ''
    const hints = detail ? [] : ['Run again with --verbose for details.']
    if (this.jsonEnabled()) this.logJson({error: {kind: 'unexpected', message: error.message, hints, exitCode: 1}})
    this.printError(`${error.message}${detail}`, hints)
    return this.exit(1)
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    if (this.backendPromise) {
      const backend = await this.backendPromise.catch(() => undefined)
      await backend?.close()
    }
    return super.finally(error)
  }

  private printError(message: string, hints: string[]): void {
    process.stderr.write(`${chalk.red('Error:')} ${message}\n`)
    for (const hint of hints) process.stderr.write(`${hint}\n`)
  }
}

/**
 * oclif's parse error as kvcloud's usage error (exit 2): its message lines, with oclif's
 * "See more help" line as a hint, and any token given on the command line or in KVCLOUD_TOKEN
 * replaced by "***" in case the parser quoted it.
 */
export function usageErrorOf(error: Errors.CLIError, argv: readonly string[]): UsageError {
  const secrets = tokensIn(argv)
  const redact = (text: string) => secrets.reduce((out, secret) => out.replaceAll(secret, '***'), text)
  const lines = redact(error.message)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && line !== 'The following error occurred:' && line !== 'The following errors occurred:')
  const hints = lines.filter((line) => line.startsWith('See more help with'))
  const message = lines.filter((line) => !hints.includes(line)).join(' ')
  return new UsageError(message || 'The command line was not understood.', hints)
}

function tokensIn(argv: readonly string[]): string[] {
  const found: string[] = []
  argv.forEach((arg, index) => {
    if (arg === '--token' && argv[index + 1] !== undefined) found.push(argv[index + 1]!)
    else if (arg.startsWith('--token=')) found.push(arg.slice('--token='.length))
  })
  if (process.env.KVCLOUD_TOKEN) found.push(process.env.KVCLOUD_TOKEN)
  return found.filter((token) => token.length >= 4)
}
