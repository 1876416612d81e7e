import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {repoRoot} from '../helpers/cli.js'

/** Every module a folder's files import (relative imports resolved to paths under src/lib, packages by name). */
function importsOf(folder: string): Array<{file: string; target: string}> {
  const root = join(repoRoot, 'src', 'lib')
  const found: Array<{file: string; target: string}> = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, {withFileTypes: true})) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) {
        walk(path)
        continue
      }
      if (!entry.name.endsWith('.ts')) continue
      const text = readFileSync(path, 'utf8')
      for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/g)) {
        const specifier = match[1] ?? match[2]!
        const target = specifier.startsWith('.') ? relative(root, join(dir, specifier)).replace(/\.js$/, '') : specifier
        found.push({file: relative(root, path), target})
      }
    }
  }
  walk(join(root, folder))
  return found
}

const offenders = (folder: string, allowed: (target: string) => boolean) =>
  importsOf(folder).filter(({target}) => !allowed(target)).map(({file, target}) => `${file} imports ${target}`)

// The import graph of the wire: api is shared by server and client, and neither reaches into the other.
describe('layers of the wire', function () {
  it('api imports only the backend types, the errors, the byte helpers and its schema library (through api/typebox, which the build bundles)', function () {
    assert.deepEqual(offenders('api', (target) => target.startsWith('api/') || ['backend', 'errors', 'bytes', '@sinclair/typebox', '@sinclair/typebox/compiler'].includes(target) || target.startsWith('node:')), [])
    const typebox = importsOf('.').filter(({target}) => target.startsWith('@sinclair/typebox')).map(({file}) => file)
    assert.deepEqual([...new Set(typebox)], ['api/typebox.ts'])
  })

  it('the server does not import the HTTP client, and the client does not import the server', function () {
    assert.deepEqual(offenders('server', (target) => !target.startsWith('http/') && !target.startsWith('remote/')), [])
    assert.deepEqual(offenders('http', (target) => !target.startsWith('server/')), [])
  })

  it('finds the imports it checks', function () {
    assert.ok(importsOf('server').some(({target}) => target === 'api/routes'))
    assert.ok(importsOf('http').some(({target}) => target === 'api/routes'))
  })
})
