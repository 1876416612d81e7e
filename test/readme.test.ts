import {strict as assert} from 'node:assert'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {repoRoot} from './helpers/cli.js'

describe('README.md', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8')

  it('starts with the two set-up commands that .ci/run runs', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1]
    assert.equal(firstBlock, 'npm ci\nnpm test\n')
  })

  it('documents every command in its reference (run "npm run readme" after changing one)', () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, {hidden?: boolean}>
    }
    const missing = Object.entries(manifest.commands)
      .filter(([, command]) => !command.hidden)
      .map(([id]) => `kvcloud ${id.replaceAll(':', ' ')}`)
      .filter((usage) => !readme.includes('## `' + usage))
    assert.deepEqual(missing, [])
  })
})
