import {Args} from '@oclif/core'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {UserConfig} from '../../lib/cli/config.js'
import {CONFIG_KEY_NAMES, readConfigEntry, type ConfigEntry, type ConfigKey} from '../../lib/cli/config-keys.js'

export type ConfigGetResult = ConfigEntry | {entries: ConfigEntry[]}

export default class ConfigGet extends BaseCommand<typeof ConfigGet> {
  static override summary = 'Show kvcloud settings.'
  static override description =
    'With a KEY, prints its value alone. Without, lists every setting with its value and whether it is the default.\n' +
    'Settings: max-key-bytes (longest key, default 256), max-value-bytes (largest value, default 1048576 = 1 MiB).'

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> max-value-bytes']

  static override args = {
    key: Args.string({description: 'Setting to show.', options: CONFIG_KEY_NAMES}),
  }

  public async run(): Promise<ConfigGetResult> {
    const config = await UserConfig.open()
    if (this.args.key !== undefined) {
      const entry = readConfigEntry(config, this.args.key as ConfigKey)
      this.log(String(entry.value))
      return entry
    }
    const entries = CONFIG_KEY_NAMES.map((key) => readConfigEntry(config, key))
    const width = Math.max(...entries.map((entry) => entry.key.length))
    for (const entry of entries) {
      this.log(`${entry.key.padEnd(width)}  ${entry.value}${entry.source === 'default' ? ' (default)' : ''}`)
    }
    return {entries}
  }
}
