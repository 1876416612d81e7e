import {strict as assert} from 'node:assert'
import {readdirSync, readFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {repoRoot} from './helpers/cli.js'

describe('the repository stands alone', () => {
  it('no code, test or script reads the "shared" folder beside the clone (users do not have it)', () => {
    const pattern = new RegExp(["'\\.\\.',\\s*'shared'", '\\.\\./' + 'shared'].join('|'))
    const offenders: string[] = []
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, {withFileTypes: true})) {
        const path = join(dir, entry.name)
        if (entry.isDirectory()) walk(path)
        else if (/\.(ts|js|cjs|mjs|json)$/.test(entry.name) && pattern.test(readFileSync(path, 'utf8'))) offenders.push(relative(repoRoot, path))
      }
    }
    for (const dir of ['src', 'test', 'bin', 'bench']) walk(join(repoRoot, dir))
    assert.deepEqual(offenders, [])
  })
})
