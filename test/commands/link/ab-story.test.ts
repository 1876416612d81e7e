// "Linking Spin apps to custom key value stores": the A/B story, end to end through the real
// binary on the local backend, checking at each step what Spin itself would read through the
// runtime config file that kvcloud writes.

import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {tempHome} from '../../helpers/cli.js'
import {cli, readAsSpin, snapshot, writeApp} from '../../helpers/app-dir.js'

describe('link: the A/B story on the local backend', function () {
  this.timeout(60_000)
  let home: string
  let cleanup: () => void
  let appDir: string
  let runtimeConfig: string

  before(() => {
    ;({home, cleanup} = tempHome())
    appDir = join(home, 'ab-app')
    writeApp(appDir, 'ab-test', ['promptstore'])
    runtimeConfig = join(appDir, 'runtime-config.toml')
  })
  after(() => cleanup())

  const inApp = () => ({home, cwd: appDir})

  it('1. two stores, case-a and case-b, each with its own prompt', async () => {
    assert.equal((await cli(['kv', 'create', 'case-a'], {home})).stdout, 'Key value store "case-a" created\n')
    await cli(['kv', 'create', 'case-b'], {home})
    await cli(['kv', 'set', '-s', 'case-a', 'prompt=Answer like a pirate'], {home})
    await cli(['kv', 'set', '-s', 'case-b', 'prompt=Answer like a poet'], {home})
  })

  it('2. a deploy with no terminal and no link fails at once, changes nothing, and says what to run', async () => {
    const before = await snapshot(home)
    const result = await cli(['deploy'], inApp(), 2)
    assert.equal(result.stdout, '')
    assert.match(result.stderr, /App "ab-test" has a label with no key value store linked: promptstore\./)
    assert.match(result.stderr, /^ {2}kvcloud deploy --link kv:promptstore=ab-test-promptstore$/m)
    assert.equal(await snapshot(home), before)
    assert.equal(existsSync(runtimeConfig), false)
  })

  it('3. deploy --link kv:promptstore=case-a links A and writes the runtime config spin up needs', async () => {
    const result = await cli(['deploy', '--link', 'kv:promptstore=case-a'], inApp())
    assert.match(result.stdout, /^App "ab-test" deployed \(revision 1\)\.$/m)
    assert.match(result.stdout, /│ promptstore │ case-a +│ linked │/)
    assert.match(result.stderr, /^ {2}spin up --runtime-config-file runtime-config\.toml$/m)
    assert.equal(readAsSpin(runtimeConfig, 'promptstore', 'prompt'), 'Answer like a pirate')
    assert.equal((await cli(['kv', 'get', '-a', 'ab-test', '-l', 'promptstore', 'prompt'], {home})).stdout, 'Answer like a pirate')
    const stores = JSON.parse((await cli(['kv', 'list', '--json'], {home})).stdout)
    assert.deepEqual(stores, [
      {key_value_store: 'case-a', links: [{label: 'promptstore', app: 'ab-test'}]},
      {key_value_store: 'case-b', links: []},
    ])
  })

  it('4. unlink removes the link and the runtime config table; the data stays in case-a', async () => {
    const result = await cli(['unlink', 'kv', 'promptstore', '-a', 'ab-test'], {home})
    assert.equal(result.stdout, "Key value store 'case-a' no longer linked to app ab-test\n")
    assert.doesNotMatch(readFileSync(runtimeConfig, 'utf8'), /promptstore/)
    const missing = await cli(['kv', 'get', '-a', 'ab-test', '-l', 'promptstore', 'prompt'], {home}, 3)
    assert.match(missing.stderr, /No key value store found with label "promptstore" for app "ab-test"/)
    assert.equal((await cli(['kv', 'get', '-s', 'case-a', 'prompt'], {home})).stdout, 'Answer like a pirate')
  })

  it('5. link kv promptstore to case-b: the app now reads B, with no rebuild', async () => {
    const result = await cli(['link', 'kv', 'promptstore', '-a', 'ab-test', '-s', 'case-b'], {home})
    assert.equal(result.stdout, 'Key value store "case-b" is now linked to app "ab-test" with the label "promptstore"\n')
    assert.match(result.stderr, /Updated .*runtime-config\.toml\. Restart the app with: spin up -f ab-app\/spin\.toml --runtime-config-file ab-app\/runtime-config\.toml\n$/)
    assert.equal(readAsSpin(runtimeConfig, 'promptstore', 'prompt'), 'Answer like a poet')
  })

  it('6. switching back to case-a needs --yes without a terminal; nothing changes until it is given', async () => {
    const before = await snapshot(home)
    const refused = await cli(['link', 'key-value', 'promptstore', '--app', 'ab-test', '--store', 'case-a'], {home}, 2)
    assert.equal(refused.stdout, '')
    assert.match(refused.stderr, /App "ab-test"'s "promptstore" label is currently linked to "case-b"\..*no terminal/)
    assert.match(refused.stderr, /kvcloud link kv promptstore --app ab-test --store case-a --yes/)
    assert.equal(await snapshot(home), before)
    assert.equal(readAsSpin(runtimeConfig, 'promptstore', 'prompt'), 'Answer like a poet')

    const relinked = await cli(['link', 'kv', 'promptstore', '-a', 'ab-test', '-s', 'case-a', '--yes'], {home})
    assert.equal(relinked.stdout, 'Key value store "case-a" is now linked to app "ab-test" with the label "promptstore" (instead of "case-b")\n')
    assert.equal(readAsSpin(runtimeConfig, 'promptstore', 'prompt'), 'Answer like a pirate')
    const again = await cli(['link', 'kv', 'promptstore', '-a', 'ab-test', '-s', 'case-a'], {home})
    assert.equal(again.stdout, 'Key value store "case-a" is already linked to app "ab-test" with the label "promptstore"\n')
  })

  it('7. the app opens promptstore1 and promptstore2: one deploy links them to A and B at once', async () => {
    writeApp(appDir, 'ab-test', ['promptstore1', 'promptstore2'])
    const result = await cli(['deploy', '--link', 'kv:promptstore1=case-a', '--link', 'kv:promptstore2=case-b', '--json'], inApp())
    const report = JSON.parse(result.stdout)
    assert.equal(report.revision, 2)
    assert.deepEqual(report.labels, [
      {label: 'promptstore1', store: 'case-a', action: 'linked'},
      {label: 'promptstore2', store: 'case-b', action: 'linked'},
    ])
    assert.deepEqual(report.unused, [{kind: 'key-value', label: 'promptstore', store: 'case-a'}])
    assert.equal(report.runtimeConfig, runtimeConfig)
    assert.equal(readAsSpin(runtimeConfig, 'promptstore1', 'prompt'), 'Answer like a pirate')
    assert.equal(readAsSpin(runtimeConfig, 'promptstore2', 'prompt'), 'Answer like a poet')
  })

  it('8. a later deploy keeps both links; swapping them is one more deploy', async () => {
    const kept = await cli(['deploy'], inApp())
    assert.match(kept.stdout, /│ promptstore1 │ case-a +│ kept +│/)
    assert.match(kept.stdout, /│ promptstore2 │ case-b +│ kept +│/)
    assert.match(kept.stdout, /Labels still linked but no longer used by any component/)
    const swapped = await cli(['deploy', '--link', 'kv:promptstore1=case-b', '--link', 'kv:promptstore2=case-a'], inApp())
    assert.match(swapped.stdout, /│ promptstore1 │ case-b +│ relinked \(was "case-a"\) │/)
    assert.match(swapped.stderr, /Label "promptstore1" now points at key value store "case-b" instead of "case-a"\./)
    assert.equal(readAsSpin(runtimeConfig, 'promptstore1', 'prompt'), 'Answer like a poet')
    assert.equal(readAsSpin(runtimeConfig, 'promptstore2', 'prompt'), 'Answer like a pirate')
  })

  it('9. apps info shows the revision and links; apps delete keeps the stores and their data', async () => {
    const info = JSON.parse((await cli(['apps', 'info', 'ab-test', '--json'], {home})).stdout)
    assert.equal(info.revision, 4)
    assert.deepEqual(info.labels, ['promptstore1', 'promptstore2'])
    assert.deepEqual(info.links, [
      {kind: 'key-value', label: 'promptstore', store: 'case-a'},
      {kind: 'key-value', label: 'promptstore1', store: 'case-b'},
      {kind: 'key-value', label: 'promptstore2', store: 'case-a'},
    ])
    const deleted = await cli(['apps', 'delete', 'ab-test', '--yes'], {home})
    assert.equal(deleted.stdout, 'App "ab-test" deleted. Its key value stores and their data are kept.\n')
    assert.deepEqual(JSON.parse((await cli(['apps', 'list', '--json'], {home})).stdout), [])
    assert.equal((await cli(['kv', 'get', '-s', 'case-a', 'prompt'], {home})).stdout, 'Answer like a pirate')
    assert.equal((await cli(['kv', 'get', '-s', 'case-b', 'prompt'], {home})).stdout, 'Answer like a poet')
  })
})
