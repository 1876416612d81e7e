import assert from 'node:assert/strict'
import {planDeploy, toDeployRequest, type DeployPlan} from '../../../src/lib/deploy/plan.js'
import {parseManifest} from '../../../src/lib/spin/manifest.js'
import {PromptCancelledError, Prompter} from '../../../src/lib/cli/prompter.js'
import {askForUnansweredLabels} from '../../../src/lib/cli/questions/deploy.js'
import {confirmAppDelete, typeStoreNameToDelete} from '../../../src/lib/cli/questions/delete.js'
import {confirmRelink} from '../../../src/lib/cli/questions/link.js'
import {askForToken} from '../../../src/lib/cli/questions/login.js'
import {keys, ScriptedTerminal} from './scripted-terminal.js'

function firstDeploy(labels: string[], existingStores: string[] = []): DeployPlan {
  const manifest = parseManifest(
    `spin_manifest_version = 2\ntrigger = {}\n[application]\nname = "shop"\n[component.web]\nkey_value_stores = ${JSON.stringify(labels)}\n`,
    '/apps/shop/spin.toml',
  )
  return planDeploy({manifest, existingStores, links: [], yes: false})
}

function prompterFor(terminal: ScriptedTerminal): Prompter {
  return new Prompter({input: terminal.input, output: terminal.output})
}

const CHOICE_QUESTION = /Would you like to link an existing key value store or create a new key value store\?/
const NAME_QUESTION = /What would you like to name your key value store\?/

describe('prompts: linking labels during deploy', () => {
  it('with no store to pick from, goes straight to the name question and takes the APP-LABEL default', async () => {
    const terminal = new ScriptedTerminal().on(NAME_QUESTION, keys.enter)
    const finished = await askForUnansweredLabels(firstDeploy(['promptstore']), prompterFor(terminal))
    assert.deepEqual(toDeployRequest(finished).links, [{label: 'promptstore', store: 'shop-promptstore', create: true}])
    assert.doesNotMatch(terminal.screen, CHOICE_QUESTION)
    assert.match(terminal.screen, /^App "shop" accesses a key value store labeled "promptstore"\n/)
    assert.match(terminal.screen, /The name of a key value store belongs to your account, not to the app: "shop" refers to the store by its label "promptstore"\./)
    assert.match(terminal.screen, /What would you like to name your key value store\? \(shop-promptstore\)/)
    assert.doesNotMatch(terminal.screen, /database/i)
    assert.equal(terminal.pendingSteps, 0)
  })

  it('"use an existing store" shows the picker in name order and links the chosen store', async () => {
    const terminal = new ScriptedTerminal()
      .on(CHOICE_QUESTION, keys.enter)
      .on(/Which key value store would you like to link to shop using the label "promptstore"/, keys.down, keys.enter)
    const finished = await askForUnansweredLabels(firstDeploy(['promptstore'], ['case-b', 'case-a']), prompterFor(terminal))
    assert.deepEqual(toDeployRequest(finished).links, [{label: 'promptstore', store: 'case-b', create: false}])
    assert.match(terminal.screen, /App "shop" accesses a key value store labeled "promptstore"/)
    assert.match(terminal.screen, /Use an existing key value store and link app to it/)
    assert.match(terminal.screen, /Create a new key value store and link the app to it/)
    const picker = terminal.screen.slice(terminal.screen.indexOf('Which key value store'))
    assert.ok(picker.indexOf('case-a') < picker.indexOf('case-b'), 'stores are listed in name order')
  })

  it('"create" proposes a unique APP-LABEL and validates what is typed before taking it', async () => {
    const terminal = new ScriptedTerminal()
      .on(CHOICE_QUESTION, keys.down, keys.enter)
      .on(/\(shop-promptstore-2\)/, '-bad', keys.enter)
      .on(/A store name is 1 to 64 characters/, ...Array(4).fill(keys.backspace), 'case-a', keys.enter)
      .on(/Key value store "case-a" already exists\. Type another name\./, ...Array(6).fill(keys.backspace), 'fresh_1', keys.enter)
    const finished = await askForUnansweredLabels(firstDeploy(['promptstore'], ['case-a', 'shop-promptstore']), prompterFor(terminal))
    assert.deepEqual(toDeployRequest(finished).links, [{label: 'promptstore', store: 'fresh_1', create: true}])
    assert.equal(terminal.pendingSteps, 0)
  })

  it('asks label by label in sorted order, and offers a store created earlier in the same deploy', async () => {
    const terminal = new ScriptedTerminal()
      .on(NAME_QUESTION, 'case-a', keys.enter)
      .on(/labeled "promptstore2"[\s\S]*Would you like/, keys.enter)
      .on(/case-a \(created by this deploy\)/, keys.enter)
    const finished = await askForUnansweredLabels(firstDeploy(['promptstore2', 'promptstore1']), prompterFor(terminal))
    assert.deepEqual(toDeployRequest(finished).links, [
      {label: 'promptstore1', store: 'case-a', create: true},
      {label: 'promptstore2', store: 'case-a', create: true},
    ])
    assert.ok(terminal.screen.indexOf('"promptstore1"') < terminal.screen.indexOf('"promptstore2"'))
  })

  it('Esc cancels at any question, before anything is decided', async () => {
    const terminal = new ScriptedTerminal().on(CHOICE_QUESTION, keys.escape)
    const plan = firstDeploy(['promptstore'], ['case-a'])
    await assert.rejects(askForUnansweredLabels(plan, prompterFor(terminal)), PromptCancelledError)
    assert.deepEqual(plan.unanswered, ['promptstore'])
  })

  it('Ctrl-C cancels the name question', async () => {
    const terminal = new ScriptedTerminal().on(NAME_QUESTION, 'half', keys.ctrlC)
    await assert.rejects(askForUnansweredLabels(firstDeploy(['promptstore']), prompterFor(terminal)), PromptCancelledError)
  })

  it('Ctrl-C cancels the store picker', async () => {
    const terminal = new ScriptedTerminal().on(CHOICE_QUESTION, keys.enter).on(/Which key value store/, keys.ctrlC)
    await assert.rejects(askForUnansweredLabels(firstDeploy(['promptstore'], ['case-a']), prompterFor(terminal)), PromptCancelledError)
  })
})

describe('prompts: confirmations', () => {
  const relinkQuestion = /App "shop"'s "promptstore" label is currently linked to "case-a"\. Change to link to key value store "case-b" instead\? \(y\/N\)/

  it('the relink question says No unless the answer is yes', async () => {
    const no = new ScriptedTerminal().on(relinkQuestion, keys.enter)
    assert.equal(await confirmRelink(prompterFor(no), 'shop', 'promptstore', 'case-a', 'case-b'), false)
    const yes = new ScriptedTerminal().on(relinkQuestion, 'y', keys.enter)
    assert.equal(await confirmRelink(prompterFor(yes), 'shop', 'promptstore', 'case-a', 'case-b'), true)
    const cancelled = new ScriptedTerminal().on(relinkQuestion, keys.escape)
    await assert.rejects(confirmRelink(prompterFor(cancelled), 'shop', 'promptstore', 'case-a', 'case-b'), PromptCancelledError)
  })

  it('the app delete question names what goes and what stays', async () => {
    const terminal = new ScriptedTerminal().on(/Delete app "shop" and its 2 links\? Its key value stores and their data are kept\. \(y\/N\)/, 'yes', keys.enter)
    assert.equal(await confirmAppDelete(prompterFor(terminal), 'shop', 2), true)
    const single = new ScriptedTerminal().on(/Delete app "shop" and its link\?/, 'n', keys.enter)
    assert.equal(await confirmAppDelete(prompterFor(single), 'shop', 1), false)
  })

  it('kv delete shows the warning, then takes the typed name; Esc cancels', async () => {
    const question = /The action is irreversible\. Please type "case-b" for confirmation/
    const terminal = new ScriptedTerminal().on(question, 'case-b  ', keys.enter)
    assert.equal(await typeStoreNameToDelete(prompterFor(terminal), 'case-b', ['Key value store "case-b" is linked to 1 app.']), 'case-b')
    assert.match(terminal.screen, /^Key value store "case-b" is linked to 1 app\.\n/)
    const cancelled = new ScriptedTerminal().on(question, keys.escape)
    await assert.rejects(typeStoreNameToDelete(prompterFor(cancelled), 'case-b', []), PromptCancelledError)
  })

  it('login asks for the token without echoing it; Ctrl-C cancels', async () => {
    const question = /API token for http:\/\/127\.0\.0\.1:3000/
    const terminal = new ScriptedTerminal().on(question, 'kvc_secret', keys.enter)
    assert.equal(await askForToken(prompterFor(terminal), 'http://127.0.0.1:3000'), 'kvc_secret')
    assert.doesNotMatch(terminal.screen, /kvc_secret/)
    const cancelled = new ScriptedTerminal().on(question, keys.ctrlC)
    await assert.rejects(askForToken(prompterFor(cancelled), 'http://127.0.0.1:3000'), PromptCancelledError)
  })
})
