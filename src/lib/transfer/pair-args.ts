import type {Pair} from '../backend.js'
import {InvalidInputError} from '../errors.js'

/**
 * `kv set` arguments: each KEY=VALUE is split on its first "=", so values may contain "=".
 * Every argument is checked before anything is written; the first one without "=" (or with
 * an empty key) is named in the error.
 */
export function parsePairArgs(args: string[]): Pair[] {
  return args.map((arg) => {
    const at = arg.indexOf('=')
    if (at === -1) {
      throw new InvalidInputError(`"${arg}" is not a KEY=VALUE pair. Nothing was written.`, [
        'Write each pair as KEY=VALUE, or give a single KEY with --file PATH (or --file - for stdin) to take its value from a file.',
      ])
    }
    if (at === 0) {
      throw new InvalidInputError(`"${arg}" has an empty key. Nothing was written.`, ['Write each pair as KEY=VALUE with a key of at least one character.'])
    }
    return {key: arg.slice(0, at), value: Buffer.from(arg.slice(at + 1), 'utf8')}
  })
}
