import {strict as assert} from 'node:assert'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {repoRoot} from '../../helpers/cli.js'

// The manifest is what the installed CLI reads to find commands without loading them. The build
// writes it (it is not committed: oclif lists the commands in a different order from one build to
// the next), and `npm pack` ships it.
// A command file the build did not register is a command users cannot run.
function commandIds(folder: string): string[] {
  const ids: string[] = []
  for (const entry of readdirSync(folder, {withFileTypes: true, recursive: true})) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue
    const path = relative(folder, join(entry.parentPath, entry.name)).replace(/\.ts$/, '')
    ids.push(path.split(/[\\/]/).filter((part) => part !== 'index').join(':'))
  }
  return ids.sort()
}

describe('oclif.manifest.json', () => {
  const manifestPath = join(repoRoot, 'oclif.manifest.json')

  it('exists (run "npm run build")', () => {
    assert.ok(existsSync(manifestPath), `${manifestPath} is missing; "npm run build" writes it`)
  })

  it('lists every command file under src/commands, and nothing else', () => {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {commands: Record<string, unknown>}
    const expected = commandIds(join(repoRoot, 'src', 'commands'))
    assert.ok(expected.includes('kv:get') && expected.includes('status'), `found ${expected.join(', ')}`)
    assert.deepEqual(Object.keys(manifest.commands).sort(), expected, 'oclif.manifest.json is stale: run "npm run build"')
  })
})
