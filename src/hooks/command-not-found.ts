import {Errors, toConfiguredId, type Hook} from '@oclif/core'
import levenshtein from 'fast-levenshtein'
import {ExitCode} from '../lib/errors.js'
import {interactivity} from '../lib/cli/interactive.js'
import {cliName} from '../lib/cli-name.js'

/**
 * A mistyped command (`kvcloud kv lst`). At a terminal, @oclif/plugin-not-found asks "Did you
 * mean kv list?" and runs it on yes. Anywhere else, as for every other question, nothing is asked:
 * the suggestion is printed and the command fails with the usage exit code, 2 (the plugin's own
 * 127 is not one of kvcloud's codes, so a declined suggestion also exits 2).
 */
const commandNotFound: Hook.CommandNotFound = async function (options) {
  const {config} = options
  const typed = toConfiguredId(options.id, config)
  if (interactivity().interactive) {
    const {default: ask} = await import('@oclif/plugin-not-found')
    try {
      return await ask.call(this, options)
    } catch (error) {
      if (error instanceof Errors.CLIError && error.oclif?.exit === 127) this.exit(ExitCode.usage)
      throw error
    }
  }

  const hidden = new Set(config.commands.filter((command) => command.hidden).map((command) => command.id))
  const ids = [...config.commandIDs, ...config.commands.flatMap((command) => command.aliases)].filter((id) => !hidden.has(id))
  const suggestion = ids
    .map((id) => ({id, distance: levenshtein.get(options.id, id, {useCollator: true})}))
    .sort((a, b) => a.distance - b.distance)[0]?.id
  const topic = options.id.split(':')[0]!
  const bin = cliName()
  const help = config.findTopic(topic) ? `${bin} help ${topic}` : `${bin} help`
  const message = `"${typed}" is not a ${bin} command.`
  const hints = [
    ...(suggestion === undefined ? [] : [`Did you mean "${bin} ${toConfiguredId(suggestion, config)}"?`]),
    `Run "${help}" for a list of available commands.`,
  ]
  if ((options.argv ?? []).includes('--json')) {
    process.stdout.write(JSON.stringify({error: {kind: 'usage', message, hints, exitCode: ExitCode.usage}}, null, 2) + '\n')
  }
  process.stderr.write(`Error: ${message}\n${hints.join('\n')}\n`)
  this.exit(ExitCode.usage)
}

export default commandNotFound
