import {strict as assert} from 'node:assert'
import {createStores, deployApp, useHome} from '../../helpers/fixtures.js'

describe('kv list (in-process)', function () {
  this.timeout(60_000)
  const {home, kv} = useHome({inProcess: true})

  async function seed(): Promise<void> {
    await createStores(home(), 'case-a', 'case-b', 'case-c')
    await deployApp(home(), 'zeta', {default: 'case-b'})
    await deployApp(home(), 'alpha', {default: 'case-c', promptstore: 'case-b'})
  }

  it('says so on stderr when there are no stores; --format json gives []', async () => {
    const [table, json] = await Promise.all([kv(['kv', 'list']), kv(['kv', 'list', '--format', 'json'])])
    assert.equal(table.exitCode, 0, table.stderr)
    assert.equal(table.stdout, '')
    assert.equal(table.stderr, 'No key value stores found\n')
    assert.equal(json.exitCode, 0, json.stderr)
    assert.deepEqual(JSON.parse(json.stdout), [])
  })

  it('groups by app, then lists the stores not linked to any app', async () => {
    await seed()
    const result = await kv(['kv', 'list'])
    assert.equal(result.exitCode, 0, result.stderr)
    assert.equal(result.stderr, '')
    assert.equal(
      result.stdout,
      [
        '┌───────┬─────────────┬─────────────────┐',
        '│ App   │ Label       │ Key Value Store │',
        '├───────┼─────────────┼─────────────────┤',
        '│ alpha │ default     │ case-c          │',
        '│ alpha │ promptstore │ case-b          │',
        '│ zeta  │ default     │ case-b          │',
        '└───────┴─────────────┴─────────────────┘',
        '',
        'Key value stores not linked to any app',
        '┌─────────────────┐',
        '│ Key Value Store │',
        '├─────────────────┤',
        '│ case-a          │',
        '└─────────────────┘',
        '',
      ].join('\n'),
    )
  })

  it('filters by app, and groups by store', async () => {
    await seed()
    const [byApp, byStore, byStoreForApp] = await Promise.all([
      kv(['kv', 'list', '-a', 'zeta']),
      kv(['kv', 'list', '-g', 'store']),
      kv(['kv', 'list', '--group-by', 'store', '--app', 'zeta']),
    ])
    assert.equal(byApp.exitCode, 0, byApp.stderr)
    assert.match(byApp.stdout, /│ zeta │ default │ case-b {10}│/)
    assert.doesNotMatch(byApp.stdout, /alpha|case-a|not linked/)
    assert.equal(byStore.exitCode, 0, byStore.stderr)
    assert.match(byStore.stdout, /│ Key Value Store │ Links +│/)
    assert.match(byStore.stdout, /│ case-a +│ - +│/)
    assert.match(byStore.stdout, /│ case-b +│ alpha:promptstore, zeta:default │/)
    assert.match(byStore.stdout, /│ case-c +│ alpha:default +│/)
    assert.match(byStoreForApp.stdout, /case-b/)
    assert.doesNotMatch(byStoreForApp.stdout, /case-a|case-c/)
  })

  it('prints the incumbent JSON with --format json and with --json', async () => {
    await seed()
    const [format, json, forApp] = await Promise.all([
      kv(['kv', 'list', '--format', 'json']),
      kv(['kv', 'list', '--json']),
      kv(['kv', 'list', '--format', 'json', '-a', 'zeta']),
    ])
    const expected = [
      {key_value_store: 'case-a', links: []},
      {key_value_store: 'case-b', links: [{label: 'promptstore', app: 'alpha'}, {label: 'default', app: 'zeta'}]},
      {key_value_store: 'case-c', links: [{label: 'default', app: 'alpha'}]},
    ]
    assert.deepEqual(JSON.parse(format.stdout), expected)
    assert.deepEqual(JSON.parse(json.stdout), expected)
    assert.deepEqual(JSON.parse(forApp.stdout), [expected[1]])
  })

  it('says when an app has no links (exit 0), and exits 3 for an unknown app', async () => {
    await createStores(home(), 'case-a')
    await deployApp(home(), 'lonely', {})
    const [none, unknown] = await Promise.all([kv(['kv', 'list', '-a', 'lonely']), kv(['kv', 'list', '-a', 'ghost'])])
    assert.equal(none.exitCode, 0, none.stderr)
    assert.equal(none.stdout, '')
    assert.equal(none.stderr, "No key value store linked to an app named 'lonely'\n")
    assert.equal(unknown.exitCode, 3)
    assert.equal(unknown.stdout, '')
    assert.match(unknown.stderr, /^Error: Could not find app 'ghost'\n/)
  })

  it('refuses an unknown --group-by with exit 2', async () => {
    const result = await kv(['kv', 'list', '-g', 'label'])
    assert.equal(result.exitCode, 2)
    assert.equal(result.stdout, '')
    assert.match(result.stderr, /Expected --group-by=label to be one of: app, store/)
  })
})
