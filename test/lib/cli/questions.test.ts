import assert from 'node:assert/strict'
import {join} from 'node:path'
import {runCli, tempHome} from '../../helpers/cli.js'
import {writeApp} from '../../helpers/app-dir.js'
import {runInPty} from '../../helpers/pty.js'
import {needScriptCommand} from '../../helpers/pseudo-terminal.js'

describe('questions only for a person at a terminal, one decline path (real binary)', function () {
  this.timeout(60_000)
  let home: string
  let cleanup: () => void
  before(function () {
    needScriptCommand(this)
  })
  beforeEach(() => ({home, cleanup} = tempHome()))
  afterEach(() => cleanup())

  it('a mistyped command without a terminal prints the suggestion and exits 2, asking nothing', async () => {
    const result = await runCli(['kv', 'lst'], {home})
    assert.equal(result.exitCode, 2, result.stderr)
    assert.equal(result.stdout, '')
    assert.equal(result.stderr, 'Error: "kv lst" is not a kvcloud command.\nDid you mean "kvcloud kv list"?\nRun "kvcloud help kv" for a list of available commands.\n')
    assert.doesNotMatch(result.stderr, /\(Y\/n\)/)
    const json = await runCli(['kv', 'lst', '--json'], {home})
    assert.equal(json.exitCode, 2)
    assert.deepEqual(JSON.parse(json.stdout), {
      error: {kind: 'usage', message: '"kv lst" is not a kvcloud command.', hints: ['Did you mean "kvcloud kv list"?', 'Run "kvcloud help kv" for a list of available commands.'], exitCode: 2},
    })
  })

  it('a mistyped command with CI set at a terminal asks nothing either', async () => {
    const result = await runInPty(['kv', 'lst'], {home, cwd: home, steps: [], env: {CI: 'true'}})
    assert.equal(result.exitCode, 2, result.screen)
    assert.match(result.screen, /Did you mean "kvcloud kv list"\?/)
    assert.doesNotMatch(result.screen, /\(Y\/n\)/)
  })

  it('a mistyped command at a terminal asks, and yes runs the suggestion', async () => {
    const result = await runInPty(['kv', 'lst'], {home, cwd: home, steps: [{when: /Did you mean kv list\?/, keys: 'y\r'}]})
    assert.equal(result.unmatchedSteps, 0, result.screen)
    assert.equal(result.exitCode, 0, result.screen)
    assert.match(result.screen, /Key value stores not linked to any app|No key value stores/)
  })

  it('CI=true at a real terminal: deploy says CI is set, not that there is no terminal', async () => {
    const appDir = join(home, 'app')
    writeApp(appDir, 'shop', ['default'])
    const result = await runInPty(['deploy'], {home, cwd: appDir, steps: [], env: {CI: 'true'}})
    assert.equal(result.exitCode, 2, result.screen)
    assert.match(result.screen, /Nothing was changed: which store each uses needs an answer, and CI is set \(CI=true\), so kvcloud asks no questions\./)
    assert.doesNotMatch(result.screen, /no terminal/)
    assert.equal((await runCli(['kv', 'create', 'case-a'], {home})).exitCode, 0)
    const deleting = await runInPty(['kv', 'delete', 'case-a'], {home, cwd: appDir, steps: [], env: {CI: '1'}})
    assert.equal(deleting.exitCode, 2, deleting.screen)
    assert.match(deleting.screen, /Deleting key value store "case-a" needs confirmation, and CI is set \(CI=1\), so kvcloud asks no questions\. Nothing was deleted\./)
  })

  it('declining apps delete at a terminal: the documented line, exit 130, nothing deleted', async () => {
    const appDir = join(home, 'app')
    writeApp(appDir, 'shop', ['default'])
    assert.equal((await runCli(['deploy', '--yes'], {home, cwd: appDir})).exitCode, 0)
    const result = await runInPty(['apps', 'delete', 'shop'], {home, cwd: appDir, steps: [{when: /Delete app "shop"/, keys: 'n\r'}]})
    assert.equal(result.exitCode, 130, result.screen)
    assert.match(result.screen, /^Cancelled; app "shop" was not deleted\.\r?$/m)
    assert.doesNotMatch(result.screen, /Error/)
    assert.equal((await runCli(['apps', 'info', 'shop'], {home})).exitCode, 0)
  })

  it('-h and -v, as in Spin\'s own CLIs', async () => {
    const version = await runCli(['-v'], {home})
    assert.equal(version.exitCode, 0, version.stderr)
    assert.match(version.stdout, /^kvcloud\/\d+\.\d+\.\d+ /)
    const help = await runCli(['kv', 'get', '-h'], {home})
    assert.equal(help.exitCode, 0, help.stderr)
    assert.match(help.stdout, /USAGE\n {2}\$ kvcloud kv get KEY/)
  })
})
