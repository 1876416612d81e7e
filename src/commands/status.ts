import {BaseCommand} from '../lib/cli/base-command.js'
import type {BackendDescription, Limits, SqliteDescription} from '../lib/backend.js'
import {UserConfig} from '../lib/cli/config.js'
import {UnavailableError} from '../lib/errors.js'
import {sameServer} from '../lib/cli/backend-choice.js'
import {formatBytes} from '../lib/validation.js'

/**
 * What status shows. For the remote backend, `server` says whether the server answered; when it
 * did not, `account` is the one saved at login for that URL (or null) and `problem` says why.
 */
export type StatusResult = (
  | {kind: 'local'; home: string; catalog: string; sqlite: SqliteDescription}
  | {kind: 'remote'; url: string; account: string | null; server: 'reachable' | 'unreachable'; problem?: string}
) & {configFile: string; limits: Limits}

export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'Show which backend kvcloud uses and where its data lives.'
  static override description =
    'The local backend keeps stores in SQLite files under the data folder ($KVCLOUD_HOME when set); the remote backend is a kvcloud server. ' +
    'When the server cannot be reached, status still shows the backend, the URL and the account saved for it, says that it is unreachable, and exits 0; a refused token exits 5 as everywhere.'

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  public async run(): Promise<StatusResult> {
    const config = await UserConfig.open()
    const backend = await this.backend()
    const limits = config.limits
    let description: StatusResult
    try {
      const described: BackendDescription = await backend.describe()
      description = described.kind === 'local' ? {...described, configFile: '', limits} : {...described, server: 'reachable', configFile: '', limits}
    } catch (error) {
      if (backend.kind !== 'remote' || !(error instanceof UnavailableError)) throw error
      const url = 'url' in backend ? String(backend.url) : ''
      const login = config.settings.login
      description = {
        kind: 'remote',
        url,
        account: login && sameServer(login.url, url) ? login.account : null,
        server: 'unreachable',
        problem: error.message,
        configFile: '',
        limits,
      }
    }
    if (description.kind === 'local') {
      this.log('Backend: local')
      this.log(`Data folder: ${description.home}`)
      this.log(`Catalog: ${description.catalog}`)
      this.log(`SQLite: ${description.sqlite.version}, through ${description.sqlite.binding === 'node:sqlite' ? `node:sqlite (built into Node ${process.versions.node})` : 'better-sqlite3 (this Node has no node:sqlite)'}`)
    } else {
      this.log('Backend: remote')
      this.log(`Server: ${description.url}${description.server === 'reachable' ? '' : ` (${description.server})`}`)
      this.log(`Account: ${description.account ?? 'unknown (the server did not say)'}`)
      if (description.problem) this.log(`Problem: ${description.problem}`)
    }
    this.log(`Config file: ${config.paths.configFile}`)
    this.log(`Limits: keys up to ${limits.maxKeyBytes} bytes, values up to ${formatBytes(limits.maxValueBytes)}`)
    return {...description, configFile: config.paths.configFile}
  }
}
