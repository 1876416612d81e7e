import {Command, Errors, Flags, Interfaces} from '@oclif/core'
import type {Backend} from './lib/backend.js'
import {CancelledError, KvError} from './lib/errors.js'
import type {Prompter, PromptStreams} from './lib/prompts.js'
import {chalk} from './lib/output.js'
import {resolveBackend} from './lib/resolve-backend.js'

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
    return Boolean(process.stdin.isTTY && process.stdout.isTTY && !process.env.CI)
  }

  /**
   * Asks the person at the terminal. A question they cancel (Ctrl-C, Esc) ends the command with
   * `cancelled` as a CancelledError (exit 130). The prompt library is loaded only here, so
   * commands that ask nothing never pay for it.
   */
  protected async ask<A>(question: (prompter: Prompter) => Promise<A>, cancelled: string, streams?: PromptStreams): Promise<A> {
    const {PromptCancelledError, Prompter} = await import('./lib/prompts.js')
    try {
      return await question(new Prompter(streams))
    } catch (error) {
      if (error instanceof PromptCancelledError) throw new CancelledError(cancelled)
      throw error
    }
  }

  /** A note for people: stderr, and silent under --json. */
  protected note(message: string): void {
    if (!this.jsonEnabled()) process.stderr.write(message + '\n')
  }

  protected override async catch(error: Error & {oclif?: {exit?: number}; exitCode?: number}): Promise<unknown> {
    if (error instanceof Errors.ExitError) throw error
    if (error instanceof KvError) {
      if (this.jsonEnabled()) {
        this.logJson({error: {kind: error.kind, message: error.message, hints: error.hints, exitCode: error.exitCode}})
      }
      this.printError(error.message, error.hints)
      return this.exit(error.exitCode)
    }
    if (error instanceof Errors.CLIError) {
      // Usage errors from the parser: oclif prints them and exits 2; keep that code under --json too.
      if (this.jsonEnabled()) process.exitCode = error.oclif?.exit ?? 2
      return super.catch(error)
    }
    // Anything else is a bug or an I/O failure nobody typed: one line, details on request.
    const detail = this.flags?.verbose || process.env.DEBUG?.includes('kvcloud') ? `\n${error.stack}` : ''
    if (this.jsonEnabled()) this.logJson({error: {kind: 'unexpected', message: error.message, exitCode: 1}})
    this.printError(`${error.message}${detail}`, detail ? [] : ['Run again with --verbose for details.'])
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
