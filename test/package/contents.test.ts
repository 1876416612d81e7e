import {strict as assert} from 'node:assert'
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {repoRoot} from '../helpers/cli.js'

interface PackedFile {
  path: string
}

// What `npm pack` would put in the tarball (scripts off: the suite runs on the build it has).
function packedPaths(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {cwd: repoRoot, encoding: 'utf8'})
  const [pack] = JSON.parse(out) as [{files: PackedFile[]}]
  return pack.files.map((file) => file.path).sort()
}

describe('the npm package', function () {
  this.timeout(60_000)
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    main?: string
    exports?: Record<string, string>
    bin: Record<string, string>
    license: string
    repository?: {url: string}
    homepage?: string
    bugs?: {url: string}
  }
  let paths: string[]
  before(() => {
    paths = packedPaths()
  })

  it('ships the CLI, its build, the oclif manifest and the license, and nothing for development', () => {
    for (const needed of ['LICENSE', 'README.md', 'package.json', 'bin/run.js', 'oclif.manifest.json', 'dist/commands/kv/get.js', 'dist/fast-path/bundled/kv-get.js']) {
      assert.ok(paths.includes(needed), `${needed} is not in the package`)
    }
    const devOnly = paths.filter((path) =>
      /^(test|bench|scripts|src|\.ci)\//.test(path) || path === 'bin/dev.js' || /\.(ts|map)$/.test(path) || /tsconfig|eslint/.test(path))
    assert.deepEqual(devOnly, [])
  })

  it('names only entry points that the package ships', () => {
    assert.equal(pkg.main, undefined, 'kvcloud is a CLI, not a library: no main')
    const entries = [...Object.values(pkg.bin), ...Object.values(pkg.exports ?? {})].map((path) => path.replace(/^\.\//, ''))
    for (const entry of entries) assert.ok(paths.includes(entry), `${entry} is named in package.json but not shipped`)
  })

  it('carries the Apache-2.0 license text and where the project lives', () => {
    assert.equal(pkg.license, 'Apache-2.0')
    const license = readFileSync(join(repoRoot, 'LICENSE'), 'utf8')
    assert.match(license, /Apache License\s+Version 2\.0, January 2004/)
    assert.match(license, /END OF TERMS AND CONDITIONS/)
    assert.match(pkg.repository?.url ?? '', /github\.com\/kvcloud\/kvcloud/)
    assert.match(pkg.homepage ?? '', /^https:\/\//)
    assert.match(pkg.bugs?.url ?? '', /^https:\/\//)
  })
})
