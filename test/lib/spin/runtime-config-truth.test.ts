import assert from 'node:assert/strict'
import {lstatSync, readFileSync, readdirSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {parse} from 'smol-toml'
import {runCli} from '../../helpers/cli.js'
import {useHome} from '../../helpers/fixtures.js'
import {cli, readAsSpin, writeApp} from '../../helpers/app-dir.js'

type Tables = Record<string, {type?: string; path?: string}>
const tablesOf = (file: string): Tables => ((parse(readFileSync(file, 'utf8')) as {key_value_store?: Tables}).key_value_store ?? {})

describe('the runtime config stays true to the links (real binary)', function () {
  this.timeout(180_000)
  const {home: currentHome} = useHome()
  let home: string
  beforeEach(function () {
    home = currentHome()
  })

  it('kv delete removes the tables of the deleted store, kv rename renames it there, apps delete takes its tables out', async function () {
    const manifest = writeApp(join(home, 'app'), 'shop', ['cart', 'prefs'], '')
    const rc = join(home, 'app', 'runtime-config.toml')
    writeFileSync(rc, '# my own settings\n[key_value_store.mine]\ntype = "redis"\nurl = "redis://localhost"\n')
    await cli(['deploy', '-f', manifest, '--link', 'kv:cart=carts', '--link', 'kv:prefs=prefs'], {home})
    assert.deepEqual(Object.keys(tablesOf(rc)).sort(), ['cart', 'mine', 'prefs'])

    const deleted = await cli(['kv', 'delete', 'carts', '--yes'], {home})
    assert.match(deleted.stderr, /Updated .*runtime-config\.toml: removed "cart", which pointed at the deleted store\./)
    assert.deepEqual(Object.keys(tablesOf(rc)).sort(), ['mine', 'prefs'])

    await cli(['kv', 'rename', 'prefs', 'settings'], {home})
    assert.match(readFileSync(rc, 'utf8'), /key value store "settings"/)
    await cli(['kv', 'set', '-s', 'settings', 'theme=dark'], {home})
    assert.equal(readAsSpin(rc, 'prefs', 'theme'), 'dark')

    const gone = await cli(['apps', 'delete', 'shop', '--yes'], {home})
    assert.match(gone.stderr, /Updated .*runtime-config\.toml: removed the tables kvcloud wrote for shop\./)
    assert.deepEqual(Object.keys(tablesOf(rc)), ['mine'])
    assert.match(readFileSync(rc, 'utf8'), /^# my own settings/)
  })

  it('concurrent link and unlink commands leave exactly the links in the file', async function () {
    const labels = ['alpha', 'beta', 'gamma', 'delta']
    const manifest = writeApp(join(home, 'app'), 'busy', labels, '')
    const rc = join(home, 'app', 'runtime-config.toml')
    await cli(['deploy', '-f', manifest, '--yes'], {home})
    for (let round = 0; round < 6; round++) {
      // Each label linked or unlinked by its own process, all at once.
      await Promise.all(labels.map((label, i) => (round + i) % 2 === 0
        ? runCli(['unlink', 'key-value', label, '-a', 'busy'], {home, timeoutMs: 60_000})
        : runCli(['link', 'key-value', label, '-a', 'busy', '-s', `busy-${label}`, '--yes'], {home, timeoutMs: 60_000})))
      const info = JSON.parse((await cli(['apps', 'info', 'busy', '--json'], {home})).stdout) as {links: Array<{label: string}>}
      const linked = info.links.map((link) => link.label).sort()
      assert.deepEqual(Object.keys(tablesOf(rc)).sort(), linked, `round ${round}: the file and the links disagree`)
    }
  })

  it('edits a runtime config that is a symlink where it points, and leaves no temporary file', async function () {
    const manifest = writeApp(join(home, 'app'), 'linked', ['default'], '')
    const real = join(home, 'shared-rc.toml')
    writeFileSync(real, '# kept elsewhere\n')
    const rc = join(home, 'app', 'runtime-config.toml')
    symlinkSync(real, rc)
    await cli(['deploy', '-f', manifest, '--yes'], {home})
    assert.ok(lstatSync(rc).isSymbolicLink(), 'the symlink was replaced by a file')
    assert.deepEqual(Object.keys(tablesOf(real)), ['default'])
    assert.match(readFileSync(real, 'utf8'), /^# kept elsewhere/)
    assert.deepEqual(readdirSync(home).filter((name) => name.includes('.tmp')), [])
    assert.deepEqual(readdirSync(join(home, 'app')).filter((name) => name.includes('.tmp')), [])
  })
})
