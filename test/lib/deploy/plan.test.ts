import {adviceFor} from '../../../src/lib/cli/advice.js'
import assert from 'node:assert/strict'
import type {AppInfo} from '../../../src/lib/backend.js'
import {InvalidInputError} from '../../../src/lib/errors.js'
import {parseLinkSpec, parseLinkSpecs} from '../../../src/lib/deploy/link-spec.js'
import {answerLabel, planDeploy, storeChoices, suggestedStoreName, toDeployRequest, type PlanInput} from '../../../src/lib/deploy/plan.js'
import {reportFromPlan} from '../../../src/lib/deploy/report.js'
import {deployCommandLine, unansweredLabelsError} from '../../../src/lib/cli/deploy-advice.js'
import {shellQuote} from '../../../src/lib/shell.js'
import {parseSeedPairs, requireSeedLabel} from '../../../src/lib/deploy/seed.js'
import {defaultStoreName, uniqueStoreName} from '../../../src/lib/deploy/store-name.js'
import {parseManifest, type SpinManifest} from '../../../src/lib/spin/manifest.js'

function manifest(labels: string[], options: {name?: string; sqlite?: string[]} = {}): SpinManifest {
  const list = (items: string[]) => `[${items.map((item) => JSON.stringify(item)).join(', ')}]`
  return parseManifest(
    `spin_manifest_version = 2\ntrigger = {}\n[application]\nname = ${JSON.stringify(options.name ?? 'shop')}\nversion = "1.2.0"\n` +
      `[component.web]\nkey_value_stores = ${list(labels)}\nsqlite_databases = ${list(options.sqlite ?? [])}\n`,
    '/apps/shop/spin.toml',
  )
}

function app(links: Array<{label: string; store: string}>, labels: string[] = links.map((link) => link.label)): AppInfo {
  return {
    name: 'shop',
    revision: 4,
    createdAt: '2025-01-01T00:00:00.000Z',
    deployedAt: '2025-01-02T00:00:00.000Z',
    components: [{id: 'web', keyValueStores: labels, sqliteDatabases: []}],
    labels,
    links: links.map((link) => ({kind: 'key-value' as const, ...link})),
  }
}

function plan(overrides: Partial<PlanInput> & {manifest: SpinManifest}) {
  return planDeploy({existingStores: [], links: [], yes: false, ...overrides})
}

function invalid(run: () => unknown, message: RegExp | string): InvalidInputError {
  try {
    run()
  } catch (error) {
    assert.ok(error instanceof InvalidInputError, `expected InvalidInputError, got ${String(error)}`)
    if (typeof message === 'string') assert.equal(error.message, message)
    else assert.match(error.message, message)
    return error
  }
  assert.fail('no error was thrown')
}

describe('deploy: --link parsing', () => {
  it('parses kv and sqlite links', () => {
    assert.deepEqual(parseLinkSpec('kv:promptstore=case-a'), {kind: 'kv', label: 'promptstore', target: 'case-a'})
    assert.deepEqual(parseLinkSpec('sqlite:audit=audit-db'), {kind: 'sqlite', label: 'audit', target: 'audit-db'})
  })

  it('rejects anything else with the incumbent message', () => {
    for (const raw of ['promptstore=case-a', 'kv:promptstore', 'kv:=case-a', 'kv:promptstore=', 'redis:a=b', 'KV:a=b', '']) {
      invalid(() => parseLinkSpec(raw), `Links must be of the form 'sqlite:label=database' or 'kv:label=store' (got "${raw}").`)
    }
  })

  it('checks the label and the store name with their rules', () => {
    invalid(() => parseLinkSpec('kv:my-store_x=a'), /^Invalid label "my-store_x"\. A label is kebab-case/)
    invalid(() => parseLinkSpec('kv:ok=-bad'), /^Invalid key value store name "-bad"\. A store name is 1 to 64 characters/)
  })

  it('refuses a label linked twice, even to the same store', () => {
    invalid(() => parseLinkSpecs(['kv:a=x', 'kv:b=y', 'kv:a=x']), 'Label a is linked more than once')
    assert.equal(parseLinkSpecs(['kv:a=x', 'sqlite:a=y']).length, 2)
  })
})

describe('deploy: default store names', () => {
  it('is APP-LABEL, shaped to the store-name rule', () => {
    assert.equal(defaultStoreName('shop', 'promptstore'), 'shop-promptstore')
    assert.equal(defaultStoreName('My Shop.v2', 'prompt_store'), 'My-Shop-v2-prompt_store')
    assert.equal(defaultStoreName('..shop', 'default'), 'shop-default')
    assert.equal(defaultStoreName('ü', 'default'), 'default')
    assert.equal(defaultStoreName('x'.repeat(100), 'default').length, 64)
  })

  it('is made unique against existing names, ignoring case, within 64 characters', () => {
    assert.equal(uniqueStoreName('shop-a', ['other']), 'shop-a')
    assert.equal(uniqueStoreName('shop-a', ['SHOP-A']), 'shop-a-2')
    assert.equal(uniqueStoreName('shop-a', ['shop-a', 'shop-a-2']), 'shop-a-3')
    const long = 'y'.repeat(64)
    assert.equal(uniqueStoreName(long, [long]), 'y'.repeat(62) + '-2')
  })
})

describe('deploy: planning', () => {
  it('asks about every label of a first deploy, in sorted order, when nothing answers', () => {
    const result = plan({manifest: manifest(['zeta', 'alpha', 'mid'])})
    assert.deepEqual(result.unanswered, ['alpha', 'mid', 'zeta'])
    assert.deepEqual(result.labels, [])
    assert.equal(result.currentRevision, undefined)
    assert.equal(reportFromPlan(result, 0).revision, 1)
  })

  it('keeps labels that are already linked, and reports linked labels no longer declared as unused', () => {
    const result = plan({
      manifest: manifest(['promptstore']),
      current: app([{label: 'old', store: 'case-x'}, {label: 'promptstore', store: 'case-a'}], ['old', 'promptstore']),
      existingStores: ['case-a', 'case-x'],
    })
    assert.deepEqual(result.labels, [{label: 'promptstore', store: 'case-a', action: 'kept', newStore: false, source: 'current'}])
    assert.deepEqual(result.unanswered, [])
    assert.deepEqual(result.unused, [{kind: 'key-value', label: 'old', store: 'case-x'}])
    assert.equal(reportFromPlan(result, 0).revision, 5)
  })

  it('--link links an existing store, creates a missing one, and relinks a label linked elsewhere', () => {
    const result = plan({
      manifest: manifest(['a', 'b', 'c', 'd']),
      current: app([{label: 'c', store: 'case-a'}, {label: 'd', store: 'case-b'}]),
      existingStores: ['case-a', 'case-b'],
      links: parseLinkSpecs(['kv:a=case-a', 'kv:b=fresh', 'kv:c=case-b', 'kv:d=case-b']),
    })
    assert.deepEqual(result.labels, [
      {label: 'a', store: 'case-a', action: 'link', newStore: false, source: 'flag'},
      {label: 'b', store: 'fresh', action: 'create', newStore: true, source: 'flag'},
      {label: 'c', store: 'case-b', action: 'relink', newStore: false, source: 'flag', previousStore: 'case-a'},
      {label: 'd', store: 'case-b', action: 'kept', newStore: false, source: 'flag'},
    ])
    assert.deepEqual(toDeployRequest(result).links, [
      {label: 'a', store: 'case-a', create: false},
      {label: 'b', store: 'fresh', create: true},
      {label: 'c', store: 'case-b', create: false},
      {label: 'd', store: 'case-b', create: false},
    ])
  })

  it('two labels linked to one new store create it once', () => {
    const result = plan({manifest: manifest(['promptstore1', 'promptstore2']), links: parseLinkSpecs(['kv:promptstore2=new', 'kv:promptstore1=new'])})
    assert.deepEqual(result.labels.map((entry) => [entry.label, entry.action, entry.newStore]), [
      ['promptstore1', 'create', true],
      ['promptstore2', 'link', true],
    ])
  })

  it('--yes links the remaining labels to APP-LABEL, reusing that store when it exists', () => {
    const result = plan({
      manifest: manifest(['default', 'cache', 'linked']),
      current: app([{label: 'linked', store: 'case-a'}], ['linked']),
      existingStores: ['case-a', 'shop-cache'],
      links: parseLinkSpecs(['kv:default=case-a']),
      yes: true,
    })
    assert.deepEqual(result.labels.map((entry) => [entry.label, entry.store, entry.action, entry.source]), [
      ['cache', 'shop-cache', 'link', 'yes'],
      ['default', 'case-a', 'link', 'flag'],
      ['linked', 'case-a', 'kept', 'current'],
    ])
    const fresh = plan({manifest: manifest(['default']), yes: true})
    assert.deepEqual(fresh.labels, [{label: 'default', store: 'shop-default', action: 'create', newStore: true, source: 'yes'}])
  })

  it('refuses a --link for a label the manifest does not declare, listing the labels it does', () => {
    const error = invalid(
      () => plan({manifest: manifest(['a', 'b']), links: parseLinkSpecs(['kv:c=x'])}),
      '--link kv:c=x names the label "c", which no component in /apps/shop/spin.toml declares as a key value store.',
    )
    assert.deepEqual(error.fact, {code: 'label-undeclared', app: 'shop', kind: 'key-value', label: 'c', declared: ['a', 'b'], flag: '--link kv:c=x'})
    assert.deepEqual(adviceFor(error), ['Its key value store labels are: a, b.'])
    invalid(() => plan({manifest: manifest(['a']), links: parseLinkSpecs(['sqlite:a=db'])}), /declares as a SQLite database/)
  })

  it('accepts sqlite links in the model but says plainly that deploy does not link databases yet', () => {
    const result = plan({manifest: manifest(['a'], {sqlite: ['audit']}), yes: true})
    assert.deepEqual(result.sqliteLabels, ['audit'])
    invalid(
      () => plan({manifest: manifest(['a'], {sqlite: ['audit']}), links: parseLinkSpecs(['sqlite:audit=db'])}),
      'kvcloud does not link SQLite databases yet, so it cannot apply --link sqlite:audit=db.',
    )
  })

  it('refuses to build a request while a label is unanswered', () => {
    assert.throws(() => toDeployRequest(plan({manifest: manifest(['a'])})), /unanswered labels: a/)
  })
})

describe('deploy: answers', () => {
  it('an answer decides its label; choices include stores this deploy creates; suggestions stay unique', () => {
    let current = plan({manifest: manifest(['one', 'two', 'three']), existingStores: ['shop-one', 'case-a']})
    assert.deepEqual(storeChoices(current), [{name: 'case-a', isNew: false}, {name: 'shop-one', isNew: false}])
    assert.equal(suggestedStoreName(current, 'one'), 'shop-one-2')
    current = answerLabel(current, 'one', {kind: 'create', store: 'shop-one-2'})
    assert.deepEqual(storeChoices(current).map((choice) => [choice.name, choice.isNew]), [['case-a', false], ['shop-one', false], ['shop-one-2', true]])
    current = answerLabel(current, 'two', {kind: 'existing', store: 'shop-one-2'})
    current = answerLabel(current, 'three', {kind: 'existing', store: 'case-a'})
    assert.deepEqual(current.unanswered, [])
    assert.deepEqual(current.labels.map((entry) => [entry.label, entry.store, entry.action, entry.newStore]), [
      ['one', 'shop-one-2', 'create', true],
      ['three', 'case-a', 'link', false],
      ['two', 'shop-one-2', 'link', true],
    ])
    assert.deepEqual(toDeployRequest(current).links.filter((link) => link.create).map((link) => link.label), ['one', 'two'])
  })

  it('rejects answers that do not fit', () => {
    const current = plan({manifest: manifest(['one']), existingStores: ['case-a']})
    invalid(() => answerLabel(current, 'one', {kind: 'existing', store: 'nope'}), 'Key value store "nope" does not exist')
    invalid(() => answerLabel(current, 'one', {kind: 'create', store: 'case-a'}), 'Key value store "case-a" already exists')
    invalid(() => answerLabel(current, 'one', {kind: 'create', store: ''}), /Invalid key value store name ""/)
    invalid(() => answerLabel(current, 'other', {kind: 'create', store: 'x'}), 'Label "other" does not need an answer.')
  })
})

describe('deploy: the failure without a terminal', () => {
  it('lists the unlinked labels and gives a copyable command that answers them all', () => {
    const current = plan({manifest: manifest(['b', 'a', 'c']), current: app([{label: 'c', store: 'case-a'}]), links: parseLinkSpecs(['kv:b=case-b'])})
    const error = unansweredLabelsError(current, {
      bin: 'kvcloud',
      leadingArgs: ['-f', 'my app/spin.toml'],
      links: parseLinkSpecs(['kv:b=case-b']),
      trailingArgs: ['--key-value', "it's=1"],
    }, {reason: 'there is no terminal to ask on'})
    assert.equal(error.message, 'App "shop" has a label with no key value store linked: a. Nothing was changed: which store each uses needs an answer, and there is no terminal to ask on.')
    assert.equal(error.hints[1], `  kvcloud deploy -f 'my app/spin.toml' --link kv:b=case-b --link kv:a=shop-a --key-value 'it'\\''s=1'`)
    const two = unansweredLabelsError(plan({manifest: manifest(['x', 'y'])}), {bin: 'kvcloud', leadingArgs: [], links: [], trailingArgs: []}, {reason: 'there is no terminal to ask on'})
    assert.match(two.message, /has 2 labels with no key value store linked: x, y\./)
    assert.equal(two.hints[1], '  kvcloud deploy --link kv:x=shop-x --link kv:y=shop-y')
  })

  it('quotes only what a shell would misread', () => {
    assert.equal(shellQuote('kv:a=b'), 'kv:a=b')
    assert.equal(shellQuote('a b'), "'a b'")
    assert.equal(shellQuote('$HOME'), "'$HOME'")
    assert.equal(deployCommandLine({bin: 'kvcloud', leadingArgs: [], links: [], trailingArgs: ['-y']}), 'kvcloud deploy -y')
  })
})

describe('deploy: seeding with --key-value', () => {
  it('splits on the first "="', () => {
    const pairs = parseSeedPairs(['greeting=hello=world', 'empty='])
    assert.deepEqual(pairs.map((pair) => [pair.key, Buffer.from(pair.value).toString()]), [['greeting', 'hello=world'], ['empty', '']])
    invalid(() => parseSeedPairs(['novalue']), '--key-value takes KEY=VALUE (got "novalue").')
    invalid(() => parseSeedPairs(['=x']), '--key-value takes KEY=VALUE (got "=x").')
  })

  it('needs a "default" label and names the rule when there is none', () => {
    requireSeedLabel(manifest(['default', 'x']))
    const error = invalid(
      () => requireSeedLabel(manifest(['x', 'y'])),
      '--key-value writes to the key value store linked with the label "default", and no component in /apps/shop/spin.toml declares that label (its labels: x, y).',
    )
    assert.match(adviceFor(error)[0]!, /Add "default" to a component's key_value_stores/)
  })
})
