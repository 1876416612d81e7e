import {parseArgs} from 'node:util'

/** One option as node:util parseArgs takes it, restricted to what oclif flags can express. */
export interface FastOption {
  type: 'string' | 'boolean'
  short?: string
  multiple?: boolean
}

export type FastOptions = Record<string, FastOption>

export interface FastArgs {
  values: Record<string, string | boolean | string[] | undefined>
  positionals: string[]
}

/**
 * Parses argv the way the oclif command would, or returns undefined when it cannot be sure of
 * reading it the same way (the caller then hands the argv to the command):
 * - anything parseArgs refuses (an unknown flag, a missing value);
 * - an option given twice that is not `multiple` (oclif refuses it; parseArgs keeps the last);
 * - `-s=VALUE` (parseArgs reads "=VALUE", oclif "VALUE") and a value glued to a short flag.
 * The option tables are checked against the commands' oclif flags by test/fast-path/options.test.ts.
 */
export function parseFastArgs(argv: readonly string[], options: FastOptions, allowPositionals: boolean): FastArgs | undefined {
  let parsed
  try {
    parsed = parseArgs({args: [...argv], options, allowPositionals, strict: true, tokens: true})
  } catch {
    return undefined
  }
  const seen = new Map<string, number>()
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue
    if (!token.rawName.startsWith('--') && token.inlineValue) return undefined
    const count = (seen.get(token.name) ?? 0) + 1
    seen.set(token.name, count)
    if (count > 1 && !options[token.name]!.multiple) return undefined
  }
  return {values: parsed.values as FastArgs['values'], positionals: parsed.positionals}
}
