import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {ManifestError, parseManifest} from '../../../src/lib/spin/manifest.js'
import {readManifest} from '../../../src/lib/spin/read-manifest.js'
import {NotFoundError} from '../../../src/lib/errors.js'
import {repoRoot} from '../../helpers/cli.js'

const fixtures = join(repoRoot, 'test', 'fixtures', 'manifests')

function parseError(text: string, file = '/apps/demo/spin.toml'): ManifestError {
  try {
    parseManifest(text, file)
  } catch (error) {
    assert.ok(error instanceof ManifestError, `expected a ManifestError, got ${String(error)}`)
    return error
  }
  assert.fail('the manifest was accepted')
}

describe('manifest: reading the fixtures', () => {
  it('reads a v2 manifest with two components that open stores, a static one, and a sqlite label', async () => {
    const manifest = await readManifest(join(fixtures, 'v2-two-components.toml'))
    assert.equal(manifest.manifestVersion, 2)
    assert.equal(manifest.name, 'feedback-triage')
    assert.equal(manifest.version, '0.3.1')
    assert.equal(manifest.description, 'Scores customer feedback and caches the verdicts.')
    assert.equal(manifest.file, join(fixtures, 'v2-two-components.toml'))
    assert.deepEqual(manifest.components, [
      {id: 'scorer', keyValueStores: ['prompt_store', 'verdicts'], sqliteDatabases: []},
      {id: 'admin', keyValueStores: ['default', 'verdicts'], sqliteDatabases: ['audit']},
      {id: 'site', keyValueStores: [], sqliteDatabases: []},
    ])
    assert.deepEqual(manifest.keyValueLabels, ['default', 'prompt_store', 'verdicts'])
    assert.deepEqual(manifest.sqliteLabels, ['audit'])
  })

  it('reads a v1 manifest: top-level name, [[component]] with ids, the union of labels', async () => {
    const manifest = await readManifest(join(fixtures, 'v1-legacy.toml'))
    assert.equal(manifest.manifestVersion, 1)
    assert.equal(manifest.name, 'visit-counter')
    assert.equal(manifest.version, '1.0.0')
    assert.equal(manifest.description, 'Counts page visits.')
    assert.deepEqual(manifest.components, [
      {id: 'counter', keyValueStores: ['default', 'visits_by_day'], sqliteDatabases: []},
      {id: 'report', keyValueStores: ['visits_by_day'], sqliteDatabases: []},
    ])
    assert.deepEqual(manifest.keyValueLabels, ['default', 'visits_by_day'])
    assert.deepEqual(manifest.sqliteLabels, [])
  })
})

describe('manifest: locating the file', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kvcloud-manifest-'))
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  const v2 = 'spin_manifest_version = 2\ntrigger = {}\n[application]\nname = "here"\n[component.web]\nkey_value_stores = ["default"]\n'

  it('reads spin.toml from the working directory by default', async () => {
    writeFileSync(join(dir, 'spin.toml'), v2)
    const manifest = await readManifest(undefined, dir)
    assert.equal(manifest.name, 'here')
    assert.equal(manifest.file, join(dir, 'spin.toml'))
  })

  it('takes a folder for --from and reads the spin.toml inside', async () => {
    mkdirSync(join(dir, 'app'))
    writeFileSync(join(dir, 'app', 'spin.toml'), v2)
    const manifest = await readManifest('app', dir)
    assert.equal(manifest.file, join(dir, 'app', 'spin.toml'))
  })

  it('takes a file for --from, whatever its name, relative to the working directory', async () => {
    writeFileSync(join(dir, 'other.toml'), v2)
    const manifest = await readManifest('other.toml', dir)
    assert.equal(manifest.file, join(dir, 'other.toml'))
  })

  it('fails with NotFound naming the path and the flag when there is no manifest', async () => {
    await assert.rejects(readManifest(undefined, dir), (error: unknown) => {
      assert.ok(error instanceof NotFoundError)
      assert.equal(error.message, `No Spin manifest found at ${join(dir, 'spin.toml')}.`)
      assert.match(error.hints.join('\n'), /-f\/--from/)
      return true
    })
    await assert.rejects(readManifest('nope/spin.toml', dir), /No Spin manifest found at .*nope\/spin\.toml/)
  })
})

describe('manifest: versions and fields', () => {
  it('accepts the old spin_version = "1" key; refuses the string "2" as Spin does, naming the line', () => {
    assert.equal(parseManifest('spin_version = "1"\nname = "old"\n', 'f').manifestVersion, 1)
    const error = parseError('# app\nspin_manifest_version = "2"\ntrigger = {}\n[application]\nname = "s"\n')
    assert.equal(error.message, 'Invalid Spin manifest /apps/demo/spin.toml, line 2: spin_manifest_version = "2" is refused by Spin; write spin_manifest_version = 2 (an integer, no quotes).')
  })

  it('finds components defined inline in a v2 trigger', () => {
    const manifest = parseManifest(
      [
        'spin_manifest_version = 2',
        '[application]',
        'name = "inline"',
        '[[trigger.http]]',
        'route = "/..."',
        'component = { source = "a.wasm", key_value_stores = ["cache"] }',
        '[[trigger.http]]',
        'id = "named"',
        'route = "/b"',
        'component = { source = "b.wasm", key_value_stores = ["default"] }',
      ].join('\n'),
      'f',
    )
    assert.deepEqual(manifest.components.map((component) => component.id), ['http-trigger-1', 'named'])
    assert.deepEqual(manifest.keyValueLabels, ['cache', 'default'])
  })

  it('sorts the union of labels and removes duplicates, whatever the declaration order', () => {
    const manifest = parseManifest(
      'spin_manifest_version = 2\ntrigger = {}\n[application]\nname = "a"\n[component.z]\nkey_value_stores = ["zeta", "alpha", "zeta"]\n[component.b]\nkey_value_stores = ["mid", "alpha"]\n',
      'f',
    )
    assert.deepEqual(manifest.keyValueLabels, ['alpha', 'mid', 'zeta'])
    assert.deepEqual(manifest.components[0]!.keyValueStores, ['alpha', 'zeta'])
  })

  it('accepts an app with no components and no labels', () => {
    const manifest = parseManifest('spin_manifest_version = 2\ntrigger = {}\n[application]\nname = "empty"\n', 'f')
    assert.deepEqual(manifest.components, [])
    assert.deepEqual(manifest.keyValueLabels, [])
  })
})

describe('manifest: errors name the file, the line and the problem', () => {
  it('reports a TOML syntax error with the line and column from the parser', () => {
    const error = parseError('spin_manifest_version = 2\ntrigger = {}\n[application]\nname = "broken\n')
    assert.equal(error.line, 4)
    assert.match(error.message, /^Invalid Spin manifest \/apps\/demo\/spin\.toml, line 4: not valid TOML \(.+, column \d+\)\.$/)
    assert.ok(error.hints.some((hint) => hint.includes('name = "broken')), 'the hint shows the offending line')
  })

  it('reports an unknown version with the line that sets it', () => {
    const error = parseError('# comment\nspin_manifest_version = 3\n[application]\nname = "x"\n')
    assert.equal(error.message, 'Invalid Spin manifest /apps/demo/spin.toml, line 2: unknown manifest version spin_manifest_version = 3. kvcloud reads spin_manifest_version = "1" (or the older spin_version = "1") and spin_manifest_version = 2.')
    assert.match(parseError('spin_manifest_version = "1.0"\nname = "x"').message, /unknown manifest version spin_manifest_version = "1\.0"/)
    assert.match(parseError('spin_manifest_version = 1\nname = "x"').message, /line 1: spin_manifest_version = 1 is refused by Spin; write spin_manifest_version = "1" \(a string\)\./)
  })

  it('reports a missing version', () => {
    assert.match(parseError('name = "x"\n').message, /^Invalid Spin manifest \/apps\/demo\/spin\.toml: no spin_manifest_version\./)
  })

  it('reports a missing or empty name, for both versions', () => {
    assert.match(parseError('spin_manifest_version = 2\ntrigger = {}\n[application]\nversion = "1"\n').message, /the app has no name; add \[application\] name = "\.\.\."/)
    assert.match(parseError('spin_manifest_version = 2\ntrigger = {}\n').message, /no \[application\] table/)
    assert.match(parseError('spin_manifest_version = "1"\nversion = "1"\n').message, /the app has no name; add a top-level name = "\.\.\."/)
    assert.match(parseError('spin_manifest_version = "1"\nname = "  "\n').message, /line 2: the app name is empty/)
  })

  it('reports a bad label with the component, the rule and the line', () => {
    const error = parseError('spin_manifest_version = 2\ntrigger = {}\n[application]\nname = "x"\n[component.web]\nsource = "a.wasm"\nkey_value_stores = ["ok", "my-store_x"]\n')
    assert.equal(error.line, 7)
    assert.match(error.message, /line 7: invalid label "my-store_x" in key_value_stores of component "web"\. A label is kebab-case or snake_case/)
    assert.match(parseError('spin_manifest_version = 2\ntrigger = {}\n[application]\nname = "x"\n[component.web]\nsqlite_databases = ["Bad"]\n').message, /invalid label "Bad" in sqlite_databases/)
    assert.match(parseError('spin_manifest_version = "1"\nname = "x"\n[[component]]\nid = "a"\nkey_value_stores = ["1st"]\n').message, /invalid label "1st" in key_value_stores of component "a"/)
  })

  it('reports values of the wrong type', () => {
    assert.match(
      parseError('spin_manifest_version = 2\ntrigger = {}\n[application]\nname = "x"\n[component.web]\nkey_value_stores = "default"\n').message,
      /line 6: key_value_stores of component "web" must be an array of labels, e\.g\. key_value_stores = \["default"\], found the string "default"\./,
    )
    assert.match(
      parseError('spin_manifest_version = 2\ntrigger = {}\n[application]\nname = "x"\n[component.web]\nkey_value_stores = [1]\n').message,
      /key_value_stores of component "web" must hold only strings, found the number 1/,
    )
    assert.match(parseError('spin_manifest_version = 2\ntrigger = {}\n[application]\nname = 5\n').message, /line 4: "application\.name" must be a string, found the number 5/)
    assert.match(parseError('spin_manifest_version = 2\ntrigger = {}\napplication = "x"\n').message, /"application" must be a table, found the string "x"/)
    assert.match(parseError('spin_manifest_version = 2\ntrigger = {}\n[application]\nname = "x"\n[[component]]\nid = "a"\n').message, /"component" must be a table of components \(\[component\.NAME\]\), found an array/)
    assert.match(parseError('spin_manifest_version = "1"\nname = "x"\n[component.a]\nid = "a"\n').message, /"component" must be an array of tables \(\[\[component\]\]\), found a table/)
    assert.match(parseError('spin_manifest_version = "1"\nname = "x"\n[[component]]\nsource = "a"\n').message, /line 3: component number 1 has no "id"/)
  })

  it('reports a component id that is not kebab-case', () => {
    assert.match(
      parseError('spin_manifest_version = 2\ntrigger = {}\n[application]\nname = "x"\n[component.My_Comp]\nsource = "a"\n').message,
      /line 5: invalid component id "My_Comp"\. A component id is kebab-case/,
    )
  })
})

describe("manifest: judged by Spin's rules (spin crates/manifest, crates/serde/src/id.rs, Spin 3.x)", () => {
  const v2 = (body: string) => `spin_manifest_version = 2\n[application]\nname = "app"\n[[trigger.http]]\nroute = "/..."\ncomponent = "web"\n${body}`

  it('labels and component ids: each word all lower or all upper case, kebab or snake', () => {
    const manifest = parseManifest(v2('[component.MY-COMP]\nsource = "a.wasm"\nkey_value_stores = ["HELLO-world", "mixed_CASE_words", "default", "v2-store"]\n'), 'f')
    assert.deepEqual(manifest.components[0], {id: 'MY-COMP', keyValueStores: ['HELLO-world', 'default', 'mixed_CASE_words', 'v2-store'], sqliteDatabases: []})
    for (const label of ['Hello', 'hello-World_x', 'kebab_and-snake', '9lives', 'a--b', 'with space', 'ünï']) {
      const message = parseError(v2(`[component.web]\nsource = "a.wasm"\nkey_value_stores = [${JSON.stringify(label)}]\n`)).message
      assert.ok(message.includes(`line 9: invalid label ${JSON.stringify(label)} in key_value_stores`), message)
    }
    for (const id of ['My-Comp', 'my_comp', 'comp-1x', '1comp']) {
      assert.match(parseError(v2(`[component.${id}]\nsource = "a.wasm"\n`)).message, new RegExp(`line 7: invalid component id "${id}"`))
    }
  })

  it('v1 labels follow the same rule; v1 component ids are converted as Spin converts them', () => {
    const manifest = parseManifest('spin_manifest_version = "1"\nname = "old"\n[[component]]\nid = "my_Comp"\nsource = "a.wasm"\nkey_value_stores = ["HELLO-world"]\n', 'f')
    assert.deepEqual(manifest.components, [{id: 'my-comp', keyValueStores: ['HELLO-world'], sqliteDatabases: []}])
    assert.match(parseError('spin_manifest_version = "1"\nname = "old"\n[[component]]\nid = "1st"\n').message, /line 4: invalid component id "1st"/)
  })

  it('refuses unknown fields, naming the file, the line, the field and the likely one', () => {
    const typo = parseError(v2('[component.web]\nsource = "a.wasm"\nkey_value_store = ["default"]\n'))
    assert.equal(typo.message, 'Invalid Spin manifest /apps/demo/spin.toml, line 9: unknown field "key_value_store" in component "web"; Spin refuses fields it does not know. Did you mean "key_value_stores"?')
    assert.match(parseError(`colour = "blue"\n${v2('')}`).message, /line 1: unknown field "colour" in the manifest/)
    assert.match(parseError('spin_manifest_version = 2\ntrigger = {}\n[application]\nname = "x"\nversoin = "1"\n').message, /line 5: unknown field "versoin" in \[application\]; .* Did you mean "version"\?/)
    assert.match(parseError('spin_manifest_version = "1"\nname = "x"\n[[component]]\nid = "a"\nkey_value_store = ["default"]\n').message, /line 5: unknown field "key_value_store" in component "a"/)
    // A trigger's own settings are its trigger type's business: Spin passes them on unchecked.
    assert.equal(parseManifest(v2('[component.web]\nsource = "a.wasm"\n').replace('route = "/..."', 'route = "/..."\nexecutor = { type = "wagi" }'), 'f').name, 'app')
  })

  it('refuses a version 2 manifest with no trigger, naming the file and the field', () => {
    const error = parseError('spin_manifest_version = 2\n[application]\nname = "x"\n[component.web]\nsource = "a.wasm"\n')
    assert.match(error.message, /^Invalid Spin manifest \/apps\/demo\/spin\.toml: no trigger\. Spin refuses a version 2 manifest without one/)
    assert.deepEqual(error.hints, ['The field "trigger" is missing.'])
  })

  it('finds labels in inline trigger.components entries, one or many', () => {
    const manifest = parseManifest(
      [
        'spin_manifest_version = 2',
        '[application]',
        'name = "mw"',
        '[[trigger.http]]',
        'id = "api"',
        'route = "/..."',
        'component = "web"',
        'components = { middleware = [{ source = "m.wasm", key_value_stores = ["sessions"] }, "web"], audit = { source = "a.wasm", key_value_stores = ["AUDIT_LOG"] } }',
        '[component.web]',
        'source = "w.wasm"',
        'key_value_stores = ["default"]',
      ].join('\n'),
      'f',
    )
    assert.deepEqual(manifest.keyValueLabels, ['AUDIT_LOG', 'default', 'sessions'])
    assert.deepEqual(manifest.components.map((component) => component.id), ['web', 'api-middleware-1', 'api-audit'])
  })

  it('app names: Spin ids, so "Bad App!" is refused with its line and suggested store names stay whole', () => {
    assert.match(parseError('spin_manifest_version = 2\ntrigger = {}\n[application]\nname = "Bad App!"\n').message, /line 4: invalid app name "Bad App!" in application\.name\. An app name is a kebab-case or snake_case name/)
    assert.equal(parseManifest('spin_manifest_version = 2\ntrigger = {}\n[application]\nname = "MY-app_x"\n'.replace('MY-app_x', 'MY-app'), 'f').name, 'MY-app')
  })
})
