import {Args} from '@oclif/core'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {UserConfig} from '../../lib/cli/config.js'
import {CONFIG_KEY_NAMES, describeBytes, parseConfigValue, writeConfigValue, type ConfigEntry, type ConfigKey} from '../../lib/cli/config-keys.js'

export type ConfigSetResult = ConfigEntry

export default class ConfigSet extends BaseCommand<typeof ConfigSet> {
  static override summary = 'Change a kvcloud setting.'
  static override description =
    'max-key-bytes and max-value-bytes raise or lower the limits kvcloud enforces on keys and values. ' +
    'The defaults (256 bytes, 1 MiB) are what every Spin backend promises; a larger key or value may work locally yet fail elsewhere.'

  static override examples = ['<%= config.bin %> <%= command.id %> max-value-bytes 4194304']

  static override args = {
    key: Args.string({description: 'Setting to change.', options: CONFIG_KEY_NAMES, required: true}),
    value: Args.string({description: 'New value, a whole number of bytes.', required: true}),
  }

  public async run(): Promise<ConfigSetResult> {
    const key = this.args.key as ConfigKey
    const value = parseConfigValue(key, this.args.value)
    const config = await UserConfig.open({forWriting: true})
    const entry = writeConfigValue(config, key, value)
    this.log(`${key} is now ${describeBytes(entry.value)}`)
    return entry
  }
}
