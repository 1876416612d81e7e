import {TypeCompiler, type Static, type TSchema, type TypeCheck} from './typebox.js'

// Each schema is compiled once, on first use, into a checking function (no per-call interpretation).
const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>()

function checker<S extends TSchema>(schema: S): TypeCheck<S> {
  let check = compiled.get(schema)
  if (!check) {
    check = TypeCompiler.Compile(schema)
    compiled.set(schema, check)
  }
  return check as TypeCheck<S>
}

/** Whether `value` fits the schema; narrows it to the schema's type. */
export function fits<S extends TSchema>(schema: S, value: unknown): value is Static<S> {
  return checker(schema).Check(value)
}

/** The first way `value` breaks the schema, e.g. `/keyValueStores/0/name: Expected string`; undefined when it fits. */
export function firstMisfit(schema: TSchema, value: unknown): string | undefined {
  const check = checker(schema)
  if (check.Check(value)) return undefined
  const error = check.Errors(value).First()
  return error ? `${error.path || '/'}: ${error.message}` : 'does not fit'
}
