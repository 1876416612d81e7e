import {strict as assert} from 'node:assert'
import {spawn} from 'node:child_process'
import {binPath} from '../../helpers/cli.js'
import {needScriptCommand} from '../../helpers/pseudo-terminal.js'
import {createStores, deployApp, storeNames, useHome} from '../../helpers/fixtures.js'
import {shellQuote} from '../../../src/lib/shell.js'

// `kv delete` asks only when a person is at a terminal. util-linux `script` gives the real
// binary a pseudo-terminal; the answer is typed once the question is on screen.

function runInTerminal(args: string[], home: string, answer: string): Promise<{screen: string; exitCode: number}> {
  const command = [process.execPath, binPath, ...args].map(shellQuote).join(' ')
  const env: NodeJS.ProcessEnv = {...process.env, KVCLOUD_HOME: home, NO_COLOR: '1', TERM: 'dumb'}
  delete env.CI
  delete env.FORCE_COLOR
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {env, cwd: home})
    let screen = ''
    let answered = false
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`no answer within 20 s; screen so far:\n${screen}`))
    }, 20_000)
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString('utf8')
      if (!answered && screen.includes('for confirmation')) {
        answered = true
        child.stdin.write(answer + '\r')
      }
    })
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      child.stdin.destroy()
      resolve({screen, exitCode: code ?? -1})
    })
  })
}

describe('kv delete at a terminal (real binary in a pseudo-terminal)', function () {
  this.timeout(60_000)
  const {home} = useHome()

  before(function () {
    needScriptCommand(this)
  })

  it('shows the linked apps, asks for the name, and deletes when it is typed', async () => {
    await createStores(home(), 'case-b')
    await deployApp(home(), 'web-app', {promptstore: 'case-b'})
    const {screen, exitCode} = await runInTerminal(['kv', 'delete', 'case-b'], home(), 'case-b')
    assert.equal(exitCode, 0, screen)
    assert.match(screen, /Key value store "case-b" is linked to 1 app: app "web-app" \(label "promptstore"\)/)
    assert.match(screen, /The action is irreversible\. Please type "case-b" for confirmation/)
    assert.match(screen, /Key value store "case-b" deleted/)
    assert.doesNotMatch(screen, /sqlite/i)
    assert.deepEqual(await storeNames(home()), [])
  })

  it('cancels on a wrong answer with a non-zero exit and deletes nothing', async () => {
    await createStores(home(), 'case-a')
    const {screen, exitCode} = await runInTerminal(['kv', 'delete', 'case-a'], home(), 'case-x')
    assert.equal(exitCode, 130, screen)
    assert.match(screen, /Cancelled; you typed "case-x", not "case-a", so key value store "case-a" was not deleted\.\r?$/m)
    assert.doesNotMatch(screen, /Error/)
    assert.doesNotMatch(screen, /Invalid confirmation|deleted\r?\n/)
    assert.deepEqual(await storeNames(home()), ['case-a'])
  })
})
