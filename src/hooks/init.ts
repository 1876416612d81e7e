import type {Hook} from '@oclif/core'
import {cliName} from '../lib/cli-name.js'
import {ExitCode} from '../lib/errors.js'

/**
 * oclif prints `config.bin` in usage lines, help examples (`<%= config.bin %>`) and its own
 * messages, so inside Spin it becomes `spin kvcloud` there too. The old name stays an alias, which
 * keeps oclif's KVCLOUD_* variables (KVCLOUD_DEBUG, ...) meaning what they did.
 */
const init: Hook.Init = async function (options) {
  const {id} = options
  // oclif's Config reads these at every use; the hook type marks them read-only.
  const config = options.config as {bin: string; binAliases?: string[]}
  const name = cliName()
  if (name === config.bin) return
  config.binAliases = [config.bin, ...(config.binAliases ?? [])]
  config.bin = name
  // The completion scripts complete a command named config.bin, and `spin kvcloud` is two words
  // on a command line whose completion belongs to Spin: the scripts would not work.
  if (id === 'autocomplete' || id?.startsWith('autocomplete:')) {
    process.stderr.write(
      `Error: Shell completion completes the "kvcloud" command, and here kvcloud runs as "${name}", whose completion is Spin's.\n` +
        'Install kvcloud with npm (npm install -g kvcloud) to use "kvcloud autocomplete".\n',
    )
    this.exit(ExitCode.usage)
  }
}

export default init
