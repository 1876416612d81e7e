// The README's snippets, run as written and in order on a fresh KVCLOUD_HOME through the built binary
// (issue 10, item 21): a README that drifts from the product fails npm test. Every ```sh and ```console
// block before the command reference runs line by line in bash, in a project folder of its own, with
// `kvcloud` on PATH as a shim for bin/run.js; the ```toml block is written as the spin.toml it shows.
// The few lines that cannot run here are listed below with the reason, and each listed line must
// still be in the README, so the list cannot go stale silently.

import assert from 'node:assert/strict'
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer, type AddressInfo} from 'node:net'
import {delimiter, join} from 'node:path'
import {binPath, repoRoot, runToEnd, tempHome} from './helpers/cli.js'
import {runShellInPty, type PtyStep} from './helpers/pty.js'
import {shellQuote} from '../src/lib/shell.js'
import {needScriptCommand} from './helpers/pseudo-terminal.js'

interface Block {
  lang: string
  body: string
  /** 1-based line of the opening fence, for messages. */
  line: number
  /** The prose between the previous block and this one. */
  prose: string
}

/** Fenced blocks up to the generated command reference (whose usage blocks are not things to run). */
function readmeBlocks(readme: string): Block[] {
  const end = readme.indexOf('<!-- commands -->')
  assert.ok(end > 0, 'README.md has no <!-- commands --> marker')
  const blocks: Block[] = []
  let prose: string[] = []
  let open: {lang: string; line: number; body: string[]} | undefined
  for (const [index, text] of readme.slice(0, end).split('\n').entries()) {
    if (open && text === '```') {
      blocks.push({lang: open.lang, body: open.body.join('\n') + '\n', line: open.line, prose: prose.join('\n')})
      open = undefined
      prose = []
    } else if (open) open.body.push(text)
    else if (text.startsWith('```')) open = {lang: text.slice(3), line: index + 1, body: []}
    else prose.push(text)
  }
  assert.equal(open, undefined, `README.md line ${open?.line}: the block is never closed`)
  return blocks
}

interface Run {
  stdout: string
  stderr: string
  exitCode: number
}

interface LineHandling {
  /** Why the line cannot run here; it is then not run. */
  skip?: string
  /** Run in a pseudo-terminal and answer as a person would (the line asks a question at a terminal). */
  terminal?: PtyStep[]
  /** The line runs until stopped (a server): start it, wait for this on stderr, stop it at the end. */
  background?: RegExp
  /** Checks of what the line's own comment (or the prose about it) promises. */
  after?: (run: Run) => Promise<void> | void
}

describe('README snippets, run as written on a fresh KVCLOUD_HOME', function () {
  this.timeout(60_000)
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8')
  let home: string
  let cleanup: () => void
  let server: ChildProcessWithoutNullStreams | undefined

  before(function () {
    needScriptCommand(this)
  })
  beforeEach(() => ({home, cleanup} = tempHome('kvcloud-readme-')))
  afterEach(() => {
    server?.kill('SIGKILL')
    server = undefined
    cleanup()
  })

  it('runs every sh and console snippet in order, each exiting 0 and showing what the README shows', async () => {
    const data = join(home, 'kvcloud-home')
    const project = join(home, 'my-app')
    const shims = join(home, 'bin')
    mkdirSync(project)
    mkdirSync(shims)
    // What `npm link` gives a reader: `kvcloud` on PATH, here the checkout's own bin/run.js.
    writeFileSync(join(shims, 'kvcloud'), `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(binPath)} "$@"\n`)
    chmodSync(join(shims, 'kvcloud'), 0o755)
    // The one file the reader brings: `kv set ... --file ./logo.png` stores a picture of theirs. Not
    // UTF-8, and ending in a newline, so a copy that adds or drops one would show.
    const logo = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from([0, 255, 128, 10, 13]), Buffer.from('\n')])
    writeFileSync(join(project, 'logo.png'), logo)

    const env: NodeJS.ProcessEnv = {...process.env, PATH: `${shims}${delimiter}${process.env.PATH ?? ''}`, KVCLOUD_HOME: data, NO_COLOR: '1'}
    delete env.FORCE_COLOR
    const unsetForTerminal: NodeJS.ProcessEnv = {}
    for (const key of Object.keys(env)) {
      if (key.startsWith('KVCLOUD_') && key !== 'KVCLOUD_HOME') {
        delete env[key]
        unsetForTerminal[key] = undefined
      }
    }

    // The README's server listens on its default port 3000; another program (or another checkout's
    // suite) may hold that one here, so the server line gets a free port and the login URL follows.
    const port = await freePort()
    let token: string | undefined
    let tokenId: string | undefined
    const known = (name: string, value: string | undefined): string => {
      assert.ok(value, `the README uses its ${name} before a snippet has printed one`)
      return value
    }
    // Placeholders the README asks the reader to fill in with what an earlier snippet printed.
    const fillIn = (line: string): string =>
      line
        .replace(/^kvcloud server start\b/, `kvcloud server start --port ${port}`)
        .replaceAll('127.0.0.1:3000', `127.0.0.1:${port}`)
        .replaceAll('kvc_...', () => known('token (kvc_...)', token))
        .replaceAll('tok_3f9a1c2b7d4e', () => known('token id (tok_3f9a1c2b7d4e)', tokenId))

    const run = (line: string): Promise<Run> => runInBash(line, {cwd: project, env})

    const handling = new Map<string, LineHandling>([
      ['npm ci', {skip: 'installs and builds this checkout, which the running suite is using; the suite runs on its result'}],
      ['npm test', {skip: 'this test is part of npm test; running it here would run the suite inside itself'}],
      [
        'npm pack                                           # kvcloud-0.1.0.tgz; the build runs first (prepare)',
        {skip: 'rebuilds the dist/ the running suite uses; test/package/install.test.ts packs the build as it is'},
      ],
      [
        'npm install -g ./kvcloud-0.1.0.tgz                 # then: kvcloud --help',
        {skip: 'would change this machine\'s global npm prefix; test/package/install.test.ts installs the tarball so, into a prefix of its own, with npm 12 on Node 22 and 24'},
      ],
      [
        'npm run package:spin-plugin                        # about a minute; --base-url URL for published tarballs',
        {skip: 'takes a minute and rebuilds dist/; test/package/spin-plugin.test.ts builds the plugin into a folder of its own and runs it'},
      ],
      ['spin plugins install --file dist/spin-plugin/kvcloud.json', {skip: 'needs a Spin binary, which this machine need not have; test/package/spin-plugin.test.ts checks the manifest against what Spin reads'}],
      ['spin kvcloud kv list', {skip: 'needs Spin; test/package/spin-plugin.test.ts runs the plugin\'s executable as Spin does, SPIN_BIN_PATH set'}],
      [
        'kvcloud kv get -s prompts logo > logo-copy.png        # raw bytes, no newline added',
        {after: () => assert.deepEqual(readFileSync(join(project, 'logo-copy.png')), logo)},
      ],
      [
        'kvcloud kv import -s other backup.json                # JSON array or NDJSON, all or nothing',
        {
          after: async () => {
            // "export followed by import copies a store byte for byte"
            const copy = await run('kvcloud kv export -s other')
            assert.equal(copy.exitCode, 0, copy.stderr)
            assert.equal(copy.stdout, readFileSync(join(project, 'backup.json'), 'utf8'))
          },
        },
      ],
      [
        'kvcloud kv delete prompts-v2                          # asks you to type the name; --yes in scripts',
        {terminal: [{when: /type "prompts-v2" for confirmation/, keys: 'prompts-v2\r'}]},
      ],
      [
        'kvcloud deploy --link kv:promptstore=case-a     # in the folder of spin.toml, or -f PATH',
        {
          after: (deploy) => {
            // The next line, which needs Spin, is the one deploy itself tells the reader to run.
            assert.match(deploy.stderr, /^ {2}spin up --runtime-config-file runtime-config\.toml$/m)
            assert.match(readFileSync(join(project, 'runtime-config.toml'), 'utf8'), /^# Managed by kvcloud: key value store "case-a"\./m)
          },
        },
      ],
      [
        'spin up --runtime-config-file runtime-config.toml',
        {skip: 'needs a Spin binary, which this machine need not have; the deploy before it checks that it printed this very line'},
      ],
      [
        'kvcloud link kv promptstore -a my-app -s case-b     # asks before replacing a link; --yes in scripts',
        {
          after: () =>
            assert.match(readFileSync(join(project, 'runtime-config.toml'), 'utf8'), /^\[key_value_store\.promptstore\]\n# Managed by kvcloud: key value store "case-b"\./m),
        },
      ],
      [
        'kvcloud server start                          # http://127.0.0.1:3000; data in <kvcloud data folder>/server',
        // A reader gives the server a terminal of its own and goes on in another one.
        {background: new RegExp(`listening on http://127\\.0\\.0\\.1:${port} \\(data in ${escapeRegExp(join(data, 'server'))}\\)`)},
      ],
      [
        'kvcloud server token create --account team-a  # prints a token once; only its SHA-256 is kept',
        {
          after: (create) => {
            assert.match(create.stdout, /^kvc_\S+\n$/)
            token = create.stdout.trim()
          },
        },
      ],
      [
        'kvcloud server token list                     # ids, accounts, created, revoked (never the tokens)',
        {
          after: (list) => {
            assert.ok(token && !list.stdout.includes(token), 'token list shows the token itself')
            tokenId = /\btok_[0-9a-f]+\b/.exec(list.stdout)?.[0]
            assert.ok(tokenId, list.stdout)
          },
        },
      ],
      [
        'kvcloud status                                              # Backend: remote, Server, Account',
        {
          after: (status) => {
            assert.match(status.stdout, /^Backend: remote$/m)
            assert.match(status.stdout, new RegExp(`^Server: http://127\\.0\\.0\\.1:${port}$`, 'm'))
            assert.match(status.stdout, /^Account: team-a$/m)
          },
        },
      ],
      [
        'kvcloud server token revoke tok_3f9a1c2b7d4e  # requests carrying it get 401 from now on',
        {
          after: async () => {
            const refused = await runInBash('kvcloud kv list', {cwd: project, env: {...env, KVCLOUD_URL: `http://127.0.0.1:${port}`, KVCLOUD_TOKEN: token}})
            assert.equal(refused.exitCode, 5, refused.stderr)
          },
        },
      ],
    ])
    const used = new Set<string>()
    const ran: string[] = []

    const runLine = async (line: string, where: string): Promise<void> => {
      const how = handling.get(line) ?? {}
      if (handling.has(line)) used.add(line)
      if (how.skip) return
      const command = fillIn(line)
      ran.push(line)
      if (how.background) {
        server = spawn('bash', ['-c', `exec ${command}`], {cwd: project, env})
        await waitForOutput(server, how.background, where)
        return
      }
      if (how.terminal) {
        const result = await runShellInPty(command, {home: data, cwd: project, steps: how.terminal, env: {...unsetForTerminal, PATH: env.PATH}})
        assert.equal(result.unmatchedSteps, 0, `${where}: ${line}\n${result.screen}`)
        assert.equal(result.exitCode, 0, `${where}: ${line}\n${result.screen}`)
        return
      }
      const result = await run(command)
      assert.equal(result.exitCode, 0, `${where}: ${line} exited ${result.exitCode}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`)
      await how.after?.(result)
    }

    for (const block of readmeBlocks(readme)) {
      const where = `README.md block at line ${block.line}`
      const manifestChange = /change the component's labels in `spin\.toml` to\s+`(key_value_stores = \[[^`\]]*\])`\s+first/.exec(block.prose)?.[1]
      if (manifestChange) {
        // The prose asks the reader to edit spin.toml before this block: done as it says.
        const manifest = readFileSync(join(project, 'spin.toml'), 'utf8')
        const changed = manifest.replace(/^key_value_stores = \[.*\]$/m, manifestChange)
        assert.notEqual(changed, manifest, `${where}: spin.toml has no key_value_stores line to change`)
        writeFileSync(join(project, 'spin.toml'), changed)
      }
      if (block.lang === 'toml') {
        assert.match(block.prose, /`spin\.toml`/, `${where}: a toml block that is not the app's spin.toml`)
        assert.ok(!existsSync(join(project, 'spin.toml')), `${where}: a second spin.toml`)
        writeFileSync(join(project, 'spin.toml'), block.body)
      } else if (block.lang === 'sh') {
        for (const line of block.body.split('\n').filter((text) => text.trim() !== '')) await runLine(line, where)
      } else if (block.lang === 'console') {
        for (const {command, shown} of consoleCommands(block.body)) {
          assert.ok(!handling.has(command), `${where}: console commands are run plainly; "${command}" needs handling`)
          ran.push(command)
          const result = await run(fillIn(command))
          assert.equal(result.exitCode, 0, `${where}: $ ${command} exited ${result.exitCode}\n${result.stderr}`)
          // What the terminal shows is stdout then the prompt; whether the last line ends in a newline is not visible.
          assert.equal(result.stdout.replace(/\n$/, ''), shown, `${where}: $ ${command}`)
          assert.equal(result.stderr, '', `${where}: $ ${command} also printed on stderr, which the README does not show`)
        }
      } else {
        assert.fail(`${where}: a \`\`\`${block.lang} block; run it here or say why not`)
      }
    }

    const stale = [...handling.keys()].filter((line) => !used.has(line))
    assert.deepEqual(stale, [], 'lines this test handles specially that are no longer in the README')
    assert.ok(ran.length >= 20, `only ${ran.length} README lines ran: did the README's fences change?`)
    if (server) {
      // Ctrl+C in the server's terminal, at the end of the session.
      const stopped = new Promise<number | null>((resolve) => server?.once('close', resolve))
      server.kill('SIGINT')
      assert.equal(await stopped, 0)
      server = undefined
    }
  })
})

function consoleCommands(body: string): Array<{command: string; shown: string}> {
  const commands: Array<{command: string; shown: string[]}> = []
  for (const line of body.replace(/\n$/, '').split('\n')) {
    if (line.startsWith('$ ')) commands.push({command: line.slice(2), shown: []})
    else {
      assert.ok(commands.length > 0, `console output before any command: ${line}`)
      commands.at(-1)?.shown.push(line)
    }
  }
  return commands.map(({command, shown}) => ({command, shown: shown.join('\n')}))
}

/** One README line in bash, as a reader's shell runs it: pipes, redirects and comments as written. */
function runInBash(line: string, options: {cwd: string; env: NodeJS.ProcessEnv}): Promise<Run> {
  return runToEnd('bash', ['-c', line], options, {timeoutMs: 20_000, what: line})
}

function waitForOutput(child: ChildProcessWithoutNullStreams, ready: RegExp, where: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = ''
    const timer = setTimeout(() => reject(new Error(`${where}: the server did not start within 15 s:\n${stderr}`)), 15_000)
    child.stdout.resume()
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
      if (ready.test(stderr)) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      reject(new Error(`${where}: the server exited ${code} before it listened:\n${stderr}`))
    })
  })
}

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const {port} = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
