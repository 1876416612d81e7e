import {strict as assert} from 'node:assert'
import {readdirSync, readFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {Config, Help} from '@oclif/core'
import {writeApp} from '../../helpers/app-dir.js'
import {repoRoot, runCli, tempHome} from '../../helpers/cli.js'

// Spin runs a plugin with SPIN_BIN_PATH set (spin src/commands/external.rs); kvcloud run that way
// is typed as `spin kvcloud ...`, so every command line it prints must say so.
const insideSpin = {SPIN_BIN_PATH: '/usr/local/bin/spin'}
const outsideSpin = {SPIN_BIN_PATH: undefined}

/** oclif's help text of one command, as `COMMAND --help` prints it. */
class CommandHelpText extends Help {
  of(command: Parameters<Help['formatCommand']>[0]): string {
    return this.formatCommand(command)
  }
}

/** Command lines naming kvcloud without "spin " before it. */
function bareCommandLines(text: string): string[] {
  // Help wraps its lines, which can put "spin" and "kvcloud" on two.
  return [...text.replaceAll(/\s+/g, ' ').matchAll(/(^|.{0,5})\bkvcloud (kv [a-z]+|(un)?link (kv|key-value)|apps [a-z]+|deploy|login|logout|server (start|token)|config (get|set)|status|help|autocomplete|\[COMMAND\])\b/gm)]
    .filter((match) => !match[1]!.endsWith('spin '))
    .map((match) => match[0])
}

describe('the command name kvcloud prints: "spin kvcloud" inside Spin, "kvcloud" outside', function () {
  this.timeout(60_000)
  const {home, cleanup} = tempHome()
  after(cleanup)

  for (const [where, env, bin] of [['inside Spin', insideSpin, 'spin kvcloud'], ['outside Spin', outsideSpin, 'kvcloud']] as const) {
    describe(where, () => {
      it('in the hints of an error', async () => {
        const result = await runCli(['kv', 'keys', '-s', 'missing'], {home, env})
        assert.equal(result.exitCode, 3)
        assert.match(result.stderr, new RegExp(`^Run "${bin} kv list" to see your stores\\.$`, 'm'))
      })

      it('in the usage line and examples of help', async () => {
        const root = await runCli(['--help'], {home, env})
        assert.match(root.stdout, new RegExp(`^  \\$ ${bin} \\[COMMAND\\]$`, 'm'))
        const command = await runCli(['kv', 'get', '--help'], {home, env})
        assert.match(command.stdout, new RegExp(`^  \\$ ${bin} kv get KEY`, 'm'))
        const examples = command.stdout.split('EXAMPLES')[1]!.split('\n').filter((line) => line.trim().startsWith('$'))
        assert.ok(examples.length > 0)
        for (const line of examples) assert.ok(line.trim().startsWith(`$ ${bin} kv get `), line)
        if (bin === 'spin kvcloud') assert.deepEqual(bareCommandLines(root.stdout + command.stdout), [])
      })

      it('for a mistyped command', async () => {
        const result = await runCli(['kv', 'lst'], {home, env})
        assert.equal(result.exitCode, 2)
        assert.equal(result.stderr, `Error: "kv lst" is not a ${bin} command.\nDid you mean "${bin} kv list"?\nRun "${bin} help kv" for a list of available commands.\n`)
      })

      it('in the command line to copy when a deploy needs answers and no one can give them', async () => {
        const app = join(home, `app-${bin.length}`)
        writeApp(app, 'hello', ['default'])
        const result = await runCli(['deploy'], {home, env, cwd: app})
        assert.equal(result.exitCode, 2)
        assert.match(result.stderr, new RegExp(`^  ${bin} deploy --link kv:default=hello-default$`, 'm'))
      })
    })
  }

  it('refuses shell completion inside Spin, whose completion scripts would name a two-word command', async () => {
    const result = await runCli(['autocomplete', 'bash'], {home, env: insideSpin})
    assert.equal(result.exitCode, 2)
    assert.equal(result.stdout, '')
    assert.match(result.stderr, /^Error: Shell completion completes the "kvcloud" command, and here kvcloud runs as "spin kvcloud"/)
  })

  it('in the help of every command inside Spin', async () => {
    const config = await Config.load(repoRoot)
    const saved = process.env.SPIN_BIN_PATH
    process.env.SPIN_BIN_PATH = insideSpin.SPIN_BIN_PATH
    try {
      await config.runHook('init', {argv: [], id: 'help'})
    } finally {
      if (saved === undefined) delete process.env.SPIN_BIN_PATH
      else process.env.SPIN_BIN_PATH = saved
    }
    assert.equal(config.bin, 'spin kvcloud')
    const help = new CommandHelpText(config, {stripAnsi: true})
    const offenders = config.commands.filter((command) => !command.hidden).flatMap((command) => bareCommandLines(help.of(command)).map((line) => `${command.id}: ${line}`))
    assert.deepEqual(offenders, [])
  })

  it('no source file spells a command line with a bare "kvcloud" (they go through cliName/commandLine)', () => {
    // Allowed: the advice to install with npm, which is about the npm command itself; the marker
    // comment written into runtime config files (a file, not a hint; it names the tool).
    const allowed = [/use "kvcloud autocomplete"/, /kvcloud deploy and kvcloud link rewrite this table/]
    const offenders: string[] = []
    for (const entry of readdirSync(join(repoRoot, 'src'), {withFileTypes: true, recursive: true})) {
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue
      const path = join(entry.parentPath, entry.name)
      readFileSync(path, 'utf8').split('\n').forEach((line, index) => {
        if (/^\s*(\/\/|\*|\/\*\*)/.test(line) || allowed.some((pattern) => pattern.test(line))) return
        for (const found of bareCommandLines(line)) offenders.push(`${relative(repoRoot, path)}:${index + 1}: ${found}`)
      })
    }
    assert.deepEqual(offenders, [])
  })
})
