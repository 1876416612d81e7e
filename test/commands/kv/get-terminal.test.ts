import {strict as assert} from 'node:assert'
import {spawnSync} from 'node:child_process'
import {binPath} from '../../helpers/cli.js'
import {needScriptCommand} from '../../helpers/pseudo-terminal.js'
import {useHome, withBackend} from '../../helpers/fixtures.js'
import {shellQuote} from '../../../src/lib/shell.js'

// At a terminal, `kv get` ends the value with a newline so the prompt starts on its own line;
// piped or redirected, the bytes stay exactly as stored (test/commands/kv/pairs tests that).

function getInTerminal(home: string, key: string, env: NodeJS.ProcessEnv = {}): string {
  const command = [process.execPath, binPath, 'kv', 'get', '-s', 'shown', key].map(shellQuote).join(' ')
  const result = spawnSync('script', ['-qec', command, '/dev/null'], {
    env: {...process.env, KVCLOUD_HOME: home, NO_COLOR: '1', TERM: 'dumb', ...env},
    encoding: 'utf8',
    timeout: 20_000,
  })
  assert.equal(result.status, 0, result.stdout + result.stderr)
  return result.stdout
}

describe('kv get at a terminal (real binary in a pseudo-terminal)', function () {
  this.timeout(60_000)
  const {home, kv} = useHome()

  before(function () {
    needScriptCommand(this)
  })

  beforeEach(async function () {
    await withBackend(home(), async (backend) => {
      await backend.createStore('shown')
      await backend.setValues({store: 'shown'}, [
        {key: 'plain', value: Buffer.from('hello')},
        {key: 'line', value: Buffer.from('hello\n')},
        // What Spin's increment leaves: 8 bytes, a little-endian i64.
        {key: 'visits', value: Buffer.from([42, 0, 0, 0, 0, 0, 0, 0])},
        {key: 'word', value: Buffer.from('eightchr')},
      ])
    })
  })

  for (const [path, env] of [['fast path', {}], ['oclif command', {KVCLOUD_NO_FAST_PATH: '1'}]] as const) {
    it(`adds a newline to a value without one, and none to a value that has one (${path})`, function () {
      // The terminal shows "\n" as "\r\n".
      assert.equal(getInTerminal(home(), 'plain', env), 'hello\r\n')
      assert.equal(getInTerminal(home(), 'line', env), 'hello\r\n')
    })

    it(`shows a Spin counter as its number, not raw bytes, and eight bytes of text as text (${path})`, function () {
      assert.equal(getInTerminal(home(), 'visits', env), '42\r\n')
      assert.equal(getInTerminal(home(), 'word', env), 'eightchr\r\n')
    })
  }

  it('keeps piped output byte for byte', async function () {
    assert.equal((await kv(['kv', 'get', '-s', 'shown', 'plain'])).stdout, 'hello')
    assert.equal((await kv(['kv', 'get', '-s', 'shown', 'plain'], {env: {KVCLOUD_NO_FAST_PATH: '1'}})).stdout, 'hello')
  })
})
