import {strict as assert} from 'node:assert'
import {execFile} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {envForNode, installGlobally, packTarball, type GlobalInstall} from '../../scripts/pack-install.js'
import {registryNode, registryNpm} from '../../scripts/registry-tools.js'
import {skipOnSecondaryPass} from '../helpers/ci-pass.js'

const run = promisify(execFile)

// As issue 12's users install: `npm pack`, then `npm install -g --ignore-scripts` of the tarball
// with npm 12 (the current release) on Node 22 and on Node 24, the two LTS lines, both from the
// npm registry (scripts/registry-tools.ts; no network and no cached copy fails the test, saying so).
// better-sqlite3 is installed (an optional dependency) but never built: Node 22 and 24 use node:sqlite.
describe('npm install -g --ignore-scripts of the packed tarball', function () {
  this.timeout(600_000)
  const root = mkdtempSync(join(tmpdir(), 'kvcloud-install-'))
  let tarball: string

  before(async function () {
    skipOnSecondaryPass(this, 'installing the tarball with its own Node 22 and 24')
    tarball = await packTarball(root)
  })
  after(() => rmSync(root, {recursive: true, force: true}))

  for (const major of ['22', '24']) {
    describe(`Node ${major}, npm 12`, () => {
      let node: string
      let nodeVersion: string
      let installed: GlobalInstall
      let home: string

      before(async function () {
        skipOnSecondaryPass(this, 'installing the tarball with its own Node 22 and 24')
        ;({node, version: nodeVersion} = await registryNode(major))
        const {npmCli} = await registryNpm('12')
        installed = await installGlobally(tarball, join(root, `prefix-${major}`), node, npmCli)
        home = mkdtempSync(join(root, `home-${major}-`))
      })

      // The installed command, found through PATH as a user's shell finds it, with a fresh home.
      const kvcloud = (args: string[]) =>
        run(installed.bin, args, {env: {...envForNode(node), HOME: home, KVCLOUD_HOME: join(home, 'kvcloud'), NO_COLOR: '1'}, timeout: 60_000})

      it('--version names kvcloud and the Node it runs on', async () => {
        const {stdout} = await kvcloud(['--version'])
        assert.match(stdout, new RegExp(`^kvcloud/0\\.\\d+\\.\\d+ linux-x64 node-v${nodeVersion.replaceAll('.', '\\.')}\\n$`))
      })

      it('creates a store, sets and gets a key through node:sqlite, with nothing on stderr (no native build needed)', async () => {
        const created = await kvcloud(['kv', 'create', 'greetings'])
        assert.deepEqual([created.stdout, created.stderr], ['Key value store "greetings" created\n', ''])
        const set = await kvcloud(['kv', 'set', '-s', 'greetings', 'hello=world', 'empty='])
        assert.deepEqual([set.stdout, set.stderr], ['', ''])
        const got = await kvcloud(['kv', 'get', '-s', 'greetings', 'hello'])
        assert.deepEqual([got.stdout, got.stderr], ['world', ''])
        const keys = await kvcloud(['kv', 'keys', '-s', 'greetings'])
        assert.deepEqual([keys.stdout, keys.stderr], ['empty\nhello\n', ''])
        const status = await kvcloud(['status'])
        assert.match(status.stdout, new RegExp(`^SQLite: .*through node:sqlite \\(built into Node ${nodeVersion.replaceAll('.', '\\.')}\\)$`, 'm'))
      })

      it('--help lists the topics', async () => {
        const {stdout} = await kvcloud(['--help'])
        assert.match(stdout, /\$ kvcloud \[COMMAND\]/)
        for (const topic of ['kv', 'link', 'deploy', 'server']) assert.match(stdout, new RegExp(`^  ${topic} `, 'm'))
      })
    })
  }
})
