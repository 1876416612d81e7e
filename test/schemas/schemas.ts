import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {Ajv2020, type ValidateFunction} from 'ajv/dist/2020.js'
import {repoRoot} from '../helpers/cli.js'

// The committed JSON Schemas of every command's --json result (schemas/<command id>.json, the
// id's spaces as "-"), and schemas/error.json for what any command prints under --json when it fails.

export const schemasDir = join(repoRoot, 'schemas')

/** schemas/kv-list.json for "kv:list" (oclif's id) or "kv list". */
export function schemaFileOf(commandId: string): string {
  return `${commandId.replaceAll(':', '-').replaceAll(' ', '-')}.json`
}

export function schemaFiles(): string[] {
  return readdirSync(schemasDir).filter((name) => name.endsWith('.json')).sort()
}

// strict: a typo in a schema ("requried") is an error, not a keyword silently ignored.
const ajv = new Ajv2020({strict: true, allErrors: true})
const compiled = new Map<string, ValidateFunction>()

export function validatorOf(file: string): ValidateFunction {
  let validate = compiled.get(file)
  if (!validate) {
    validate = ajv.compile(JSON.parse(readFileSync(join(schemasDir, file), 'utf8')) as object)
    compiled.set(file, validate)
  }
  return validate
}

/** Asserts that `output` (a command's whole stdout) is one JSON document that `file` accepts; returns it. */
export function assertMatchesSchema(file: string, output: string, what: string): unknown {
  let document: unknown
  try {
    document = JSON.parse(output)
  } catch (error) {
    assert.fail(`${what}: stdout is not one JSON document (${(error as Error).message}):\n${output}`)
  }
  const validate = validatorOf(file)
  assert.ok(validate(document), `${what}: its output does not match schemas/${file}:\n${ajv.errorsText(validate.errors, {separator: '\n'})}\n${output}`)
  return document
}
