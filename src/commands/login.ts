import {Flags} from '@oclif/core'
import {BaseCommand} from '../lib/cli/base-command.js'
import {InvalidInputError} from '../lib/errors.js'
import {login, type LoginResult} from '../lib/cli/backend-choice.js'
import {commandLine} from '../lib/cli-name.js'
import {askForToken} from '../lib/cli/questions/login.js'

export default class Login extends BaseCommand<typeof Login> {
  static override summary = 'Use a kvcloud server: check a token against it and remember both.'
  static override description =
    'From then on every command works against that server (the remote backend); --local, or KVCLOUD_BACKEND=local, ' +
    'still uses the stores on this machine. The token is saved in the kvcloud config file, readable only by you (mode 0600). ' +
    'Without --token, a terminal asks for it without echoing it, which keeps it out of your shell history.'

  static override examples = [
    '<%= config.bin %> <%= command.id %> --url http://127.0.0.1:3000 --token kvc_...',
    'KVCLOUD_URL=https://kv.example.com KVCLOUD_TOKEN=kvc_... <%= config.bin %> <%= command.id %>',
  ]

  static override flags = {
    url: Flags.string({description: 'The server\'s URL.', env: 'KVCLOUD_URL', helpValue: 'URL'}),
    token: Flags.string({description: 'An API token from "<%= config.bin %> server token create".', env: 'KVCLOUD_TOKEN', helpValue: 'TOKEN'}),
  }

  public async run(): Promise<LoginResult> {
    const {url} = this.flags
    if (!url) {
      throw new InvalidInputError('Which server? Pass --url URL (or set KVCLOUD_URL).', [`e.g. ${commandLine('login --url http://127.0.0.1:3000 --token TOKEN')}`])
    }
    const token = this.flags.token ?? (await this.askForToken(url))
    const result = await login({url, token: token.trim()})
    this.note(`Logged in to ${result.url} as account "${result.account}". Commands now use this server; pass --local for the stores on this machine.`)
    return result
  }

  private async askForToken(url: string): Promise<string> {
    if (!this.interactive) {
      throw new InvalidInputError('No token given. Pass --token TOKEN (or set KVCLOUD_TOKEN).', [`e.g. ${commandLine(`login --url ${url} --token TOKEN`)}`])
    }
    return this.ask((prompter) => askForToken(prompter, url), 'Login cancelled; nothing was saved.')
  }
}
