import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {repoRoot} from '../helpers/cli.js'
import {schemaFileOf, schemaFiles, validatorOf} from './schemas.js'

interface Manifest {
  commands: Record<string, {enableJsonFlag?: boolean; pluginName?: string}>
}

// Read from the build's oclif manifest: what the shipped binary knows, every command's flags included.
function jsonCommands(): string[] {
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'oclif.manifest.json'), 'utf8')) as Manifest
  return Object.entries(manifest.commands)
    .filter(([, command]) => command.enableJsonFlag === true && command.pluginName === 'kvcloud')
    .map(([id]) => id)
    .sort()
}

describe('every --json result has a committed schema (schemas/)', () => {
  it('has a schema for each command with --json, and none for a command that does not exist', () => {
    const commands = jsonCommands()
    assert.ok(commands.length >= 20, `only ${commands.length} commands with --json in oclif.manifest.json; run npm run build`)
    const files = schemaFiles()
    const missing = commands.filter((id) => !files.includes(schemaFileOf(id)))
    assert.deepEqual(missing, [], `commands with --json and no schema: add schemas/${missing.map(schemaFileOf).join(', schemas/')}`)
    const expected = new Set([...commands.map(schemaFileOf), 'error.json'])
    assert.deepEqual(files.filter((file) => !expected.has(file)), [], 'schemas of no command')
  })

  it('compiles every schema under draft 2020-12 in strict mode, each describing its own file', () => {
    for (const file of schemaFiles()) {
      const schema = JSON.parse(readFileSync(join(repoRoot, 'schemas', file), 'utf8')) as Record<string, unknown>
      assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema', file)
      assert.equal(schema.$id, `https://github.com/kvcloud/kvcloud/blob/main/schemas/${file}`, file)
      assert.equal(typeof validatorOf(file), 'function', file)
    }
  })

  it('refuses a changed shape: a field added, a required one missing, a value of another kind', () => {
    const validate = validatorOf('kv-create.json')
    const created = {name: 'case-a', createdAt: '2026-12-01T17:51:52.784Z'}
    assert.equal(validate(created), true)
    assert.equal(validate({...created, id: 7}), false)
    assert.equal(validate({name: 'case-a'}), false)
    assert.equal(validate({...created, createdAt: 'yesterday'}), false)
    assert.equal(validatorOf('kv-get.json')({key: 'k', value: 'dg==', base64: false}), false)
  })
})
