import {strict as assert} from 'node:assert'
import type {StoreInfo} from '../../../src/lib/backend.js'
import {deleteQuestion, deleteWarning} from '../../../src/lib/cli/render/delete-warning.js'
import {importProgressLine} from '../../../src/lib/cli/render/progress.js'
import {renderStoreList, toStoreListJson} from '../../../src/lib/cli/render/store-list.js'

const createdAt = '2025-01-01T00:00:00.000Z'
const stores: StoreInfo[] = [
  {name: 'case-a', links: [], createdAt},
  {name: 'case-b', links: [{app: 'zeta', label: 'default'}, {app: 'alpha', label: 'promptstore'}], createdAt},
  {name: 'case-c', links: [{app: 'alpha', label: 'default'}], createdAt},
  {name: 'case-d', links: [], createdAt},
]

describe('kv list rendering', () => {
  it('groups by app: one row per link sorted by app and label, then the unlinked stores', () => {
    const view = renderStoreList(stores, {groupBy: 'app'})
    assert.equal(view.emptyMessage, undefined)
    assert.equal(
      view.text,
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
        '│ case-d          │',
        '└─────────────────┘',
      ].join('\n'),
    )
  })

  it('with --app keeps that app\'s links and leaves out the unlinked section', () => {
    const linked = stores.filter((store) => store.links.some((link) => link.app === 'zeta'))
    const view = renderStoreList(linked, {groupBy: 'app', app: 'zeta'})
    assert.ok(view.text.includes('│ zeta │ default │ case-b          │'), view.text)
    assert.ok(!view.text.includes('alpha'))
    assert.ok(!view.text.includes('not linked'))
  })

  it('says when an app has no links, and when there are no stores', () => {
    assert.deepEqual(renderStoreList([], {groupBy: 'app', app: 'x'}), {text: '', emptyMessage: "No key value store linked to an app named 'x'"})
    assert.deepEqual(renderStoreList([], {groupBy: 'app'}), {text: '', emptyMessage: 'No key value stores found'})
    assert.deepEqual(renderStoreList([], {groupBy: 'store'}), {text: '', emptyMessage: 'No key value stores found'})
  })

  it('shows only the unlinked table when nothing is linked', () => {
    const view = renderStoreList([stores[0]!], {groupBy: 'app'})
    assert.ok(view.text.startsWith('Key value stores not linked to any app\n'), view.text)
  })

  it('groups by store with app:label links, "-" for none', () => {
    assert.equal(
      renderStoreList(stores, {groupBy: 'store'}).text,
      [
        '┌─────────────────┬─────────────────────────────────┐',
        '│ Key Value Store │ Links                           │',
        '├─────────────────┼─────────────────────────────────┤',
        '│ case-a          │ -                               │',
        '│ case-b          │ zeta:default, alpha:promptstore │',
        '│ case-c          │ alpha:default                   │',
        '│ case-d          │ -                               │',
        '└─────────────────┴─────────────────────────────────┘',
      ].join('\n'),
    )
  })

  it('keeps the incumbent JSON shape', () => {
    assert.deepEqual(toStoreListJson(stores.slice(0, 2)), [
      {key_value_store: 'case-a', links: []},
      {key_value_store: 'case-b', links: [{label: 'default', app: 'zeta'}, {label: 'promptstore', app: 'alpha'}]},
    ])
  })
})

describe('kv delete warning', () => {
  it('names the linked apps and labels, and never mentions sqlite', () => {
    const lines = deleteWarning(stores[1]!)
    assert.equal(lines[0], 'Key value store "case-b" is linked to 2 apps: app "zeta" (label "default"), app "alpha" (label "promptstore").')
    assert.ok(lines.join('\n').includes('kvcloud link kv'))
    assert.ok(!/sqlite/i.test(lines.join('\n')))
    assert.deepEqual(deleteWarning(stores[0]!), [])
    assert.equal(deleteQuestion('case-b'), 'The action is irreversible. Please type "case-b" for confirmation')
  })
})

describe('import progress line', () => {
  it('draws a bar when the size is known, a count otherwise', () => {
    assert.equal(importProgressLine(1500, 50, 100, 10), 'Importing [#####-----] 50% 1,500 pairs')
    assert.equal(importProgressLine(1, 100, 100, 4), 'Importing [####] 100% 1 pair')
    assert.equal(importProgressLine(20, 0, undefined), 'Importing… 20 pairs')
  })
})
