// The real binary in a pseudo-terminal, answered keystroke by keystroke as a person would.

import assert from 'node:assert/strict'
import {join} from 'node:path'
import {tempHome} from '../../helpers/cli.js'
import {cli, readAsSpin, snapshot, withBackend, writeApp} from '../../helpers/app-dir.js'
import {runInPty} from '../../helpers/pty.js'
import {needScriptCommand} from '../../helpers/pseudo-terminal.js'

const enter = '\r'
const down = '\u001b[B'
const escape = '\u001b'

describe('deploy and link in a real terminal', function () {
  this.timeout(60_000)
  let home: string
  let cleanup: () => void
  let appDir: string

  before(function () {
    needScriptCommand(this)
  })
  beforeEach(async () => {
    ;({home, cleanup} = tempHome())
    appDir = join(home, 'app')
    writeApp(appDir, 'shop', ['promptstore2', 'promptstore1'])
  })
  afterEach(() => cleanup())

  it('asks about each label in order: a new store named by the user, then that store picked from the list', async () => {
    const result = await runInPty(['deploy'], {
      home,
      cwd: appDir,
      steps: [
        // No store exists: straight to the name, typed over the APP-LABEL default.
        {when: /What would you like to name your key value store\? \(shop-promptstore1\)/, keys: `case-a${enter}`},
        {when: /labeled "promptstore2"[\s\S]*Would you like to link an existing key value store or create a new key value store\?/, keys: enter},
        {when: /case-a \(created by this deploy\)/, keys: enter},
      ],
    })
    assert.equal(result.unmatchedSteps, 0, result.screen)
    assert.equal(result.exitCode, 0, result.screen)
    assert.match(result.screen, /App "shop" accesses a key value store labeled "promptstore1"/)
    assert.match(result.screen, /│ promptstore1 │ case-a +│ created │/)
    assert.match(result.screen, /│ promptstore2 │ case-a +│ linked +│/)
    assert.match(result.screen, /spin up --runtime-config-file runtime-config\.toml/)
    assert.doesNotMatch(result.screen, /database/i)
    await withBackend(home, (backend) => backend.setValues({store: 'case-a'}, [{key: 'prompt', value: Buffer.from('hi')}]))
    assert.equal(readAsSpin(join(appDir, 'runtime-config.toml'), 'promptstore2', 'prompt'), 'hi')
  })

  it('Esc at the second question cancels: exit 130, no store, no app', async () => {
    await withBackend(home, async (backend) => void (await backend.createStore('case-a')))
    const before = await snapshot(home)
    const result = await runInPty(['deploy'], {
      home,
      cwd: appDir,
      steps: [
        {when: /labeled "promptstore1"[\s\S]*Would you like/, keys: `${down}${enter}`},
        {when: /What would you like to name your key value store\?/, keys: escape},
      ],
    })
    assert.equal(result.unmatchedSteps, 0, result.screen)
    assert.equal(result.exitCode, 130, result.screen)
    assert.match(result.screen, /Deploy cancelled; nothing was changed\./)
    assert.equal(await snapshot(home), before)
  })

  it('link asks before relinking, and No keeps the old store', async () => {
    await withBackend(home, async (backend) => void (await backend.createStore('case-a')))
    await withBackend(home, async (backend) => void (await backend.createStore('case-b')))
    await cli(['deploy', '--link', 'kv:promptstore1=case-a', '--link', 'kv:promptstore2=case-a'], {home, cwd: appDir})
    const question = /App "shop"'s "promptstore1" label is currently linked to "case-a"\. Change to link to key value store "case-b" instead\? \(y\/N\)/
    const declined = await runInPty(['link', 'kv', 'promptstore1', '-a', 'shop', '-s', 'case-b'], {home, cwd: appDir, steps: [{when: question, keys: enter}]})
    assert.equal(declined.exitCode, 130, declined.screen)
    assert.match(declined.screen, /^Cancelled; label "promptstore1" stays linked to key value store "case-a"\. Nothing was changed\.$/m)
    assert.doesNotMatch(declined.screen, /Error/)
    const accepted = await runInPty(['link', 'kv', 'promptstore1', '-a', 'shop', '-s', 'case-b'], {home, cwd: appDir, steps: [{when: question, keys: `y${enter}`}]})
    assert.equal(accepted.exitCode, 0, accepted.screen)
    assert.match(accepted.screen, /Key value store "case-b" is now linked to app "shop" with the label "promptstore1" \(instead of "case-a"\)/)
    const info = JSON.parse((await cli(['apps', 'info', 'shop', '--json'], {home})).stdout)
    assert.deepEqual(info.links, [{kind: 'key-value', label: 'promptstore1', store: 'case-b'}, {kind: 'key-value', label: 'promptstore2', store: 'case-a'}])
  })
})
