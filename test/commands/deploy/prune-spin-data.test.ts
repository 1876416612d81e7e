import assert from 'node:assert/strict'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {parse} from 'smol-toml'
import {useHome} from '../../helpers/fixtures.js'
import {writeSpinStoreFile} from '../../spin/spin-sql.js'
import {cli, writeApp} from '../../helpers/app-dir.js'

const labelsIn = (file: string) => Object.keys((parse(readFileSync(file, 'utf8')) as {key_value_store?: object}).key_value_store ?? {}).sort()

describe('deploy --prune, and the data Spin already kept (real binary)', function () {
  this.timeout(120_000)
  const {home: currentHome} = useHome()
  let home: string
  beforeEach(function () {
    home = currentHome()
  })

  it('--prune unlinks labels no component declares any more; without it they stay, and the note says how', async function () {
    const dir = join(home, 'shop')
    writeApp(dir, 'shop', ['cart', 'old-cache'])
    await cli(['deploy', '-f', dir, '--yes'], {home})
    writeApp(dir, 'shop', ['cart'])
    const kept = await cli(['deploy', '-f', dir], {home})
    assert.match(kept.stdout, /no longer used by any component \(left as they are; deploy --prune unlinks them\):/)
    assert.deepEqual(labelsIn(join(dir, 'runtime-config.toml')), ['cart', 'old-cache'])

    const pruned = await cli(['deploy', '-f', dir, '--prune'], {home})
    assert.match(pruned.stdout, /Unlinked, since no component uses them any more \(--prune\):\n.*\n.*\n.*\n│ old-cache │ shop-old-cache/)
    const info = JSON.parse((await cli(['apps', 'info', 'shop', '--json'], {home})).stdout) as {links: Array<{label: string}>}
    assert.deepEqual(info.links.map((link) => link.label), ['cart'])
    assert.deepEqual(labelsIn(join(dir, 'runtime-config.toml')), ['cart'])
    const stores = JSON.parse((await cli(['kv', 'list', '--json'], {home})).stdout) as Array<{key_value_store: string}>
    assert.ok(stores.some((store) => store.key_value_store === 'shop-old-cache'), 'pruning unlinks; the store stays')
  })

  it('offers what Spin kept in .spin/sqlite_key_value.db for "default": a note in scripts, imported with --import-spin-data', async function () {
    const dir = join(home, 'counter')
    writeApp(dir, 'counter', ['default'])
    mkdirSync(join(dir, '.spin'))
    writeSpinStoreFile(join(dir, '.spin', 'sqlite_key_value.db'), [['default', 'visits', Buffer.from('7')], ['default', 'greeting', Buffer.from('hi')]])

    const noted = await cli(['deploy', '-f', dir, '--yes', '--dry-run'], {home})
    assert.doesNotMatch(noted.stderr, /Spin keeps/, 'a dry run changes nothing and offers nothing')
    const scripted = await cli(['deploy', '-f', dir, '--link', 'kv:default=plain'], {home})
    assert.match(scripted.stderr, /Spin keeps 2 pairs for "default" in .*\.spin\/sqlite_key_value\.db, which key value store "plain" does not have\. To bring them in: kvcloud kv import -s plain .*sqlite_key_value\.db --from-label default \(or deploy with --import-spin-data\)\./)
    assert.equal((await cli(['kv', 'keys', '-s', 'plain'], {home})).stdout, '')

    await cli(['unlink', 'key-value', 'default', '-a', 'counter'], {home})
    const imported = await cli(['deploy', '-f', dir, '--link', 'kv:default=filled', '--import-spin-data'], {home})
    assert.match(imported.stderr, /Imported 2 pairs that Spin kept for "default" in .*sqlite_key_value\.db into key value store "filled"\./)
    assert.equal((await cli(['kv', 'get', '-s', 'filled', 'visits'], {home})).stdout, '7')

    await cli(['unlink', 'key-value', 'default', '-a', 'counter'], {home})
    const declined = await cli(['deploy', '-f', dir, '--link', 'kv:default=plain', '--no-import-spin-data'], {home})
    assert.doesNotMatch(declined.stderr, /Spin keeps|Imported/)
  })

  it('says when it replaces a spin table of the user\'s own, and where that data is', async function () {
    const dir = join(home, 'mine')
    writeApp(dir, 'mine', ['default'])
    writeSpinStoreFile(join(dir, 'my-data.db'), [['default', 'note', Buffer.from('kept by spin')]])
    writeFileSync(join(dir, 'runtime-config.toml'), '[key_value_store.default]\ntype = "spin"\npath = "my-data.db"\n')
    const result = await cli(['deploy', '-f', dir, '--yes'], {home})
    assert.match(result.stderr, /Replaced your \[key_value_store\.default\] entry \(type "spin", path "my-data\.db"\) in .*runtime-config\.toml: spin up now opens kvcloud's store for it\. Your data stays in that file\./)
    assert.match(result.stderr, /Spin keeps 1 pair for "default" in .*my-data\.db/)
  })
})
