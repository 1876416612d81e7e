import {Flags} from '@oclif/core'
import type {StoreTarget} from '../backend.js'
import {InvalidInputError} from '../errors.js'
import {validateLabel, validateStoreName} from '../validation.js'

// The selector every pair command shares: a store by name (-s), or the store an app
// links under a label (-l with -a). oclif enforces the combinations, so a command
// never sees -s together with -l, nor -l without -a.
// Keep this module light: `kv get` loads it on its hot path.

export const targetFlags = {
  store: Flags.string({
    char: 's',
    description: 'Name of the key value store.',
    helpValue: 'STORE',
    exactlyOne: ['store', 'label'],
    helpGroup: 'STORE',
  }),
  label: Flags.string({
    char: 'l',
    description: 'Label under which the app sees the store (with --app).',
    helpValue: 'LABEL',
    exactlyOne: ['store', 'label'],
    dependsOn: ['app'],
    helpGroup: 'STORE',
  }),
  app: Flags.string({
    char: 'a',
    description: 'App whose labelled store to use (with --label).',
    helpValue: 'APP',
    dependsOn: ['label'],
    helpGroup: 'STORE',
  }),
}

export interface TargetFlagValues {
  store?: string
  label?: string
  app?: string
}

/**
 * The parsed selector as the backend takes it. A name that breaks the naming rule (an empty
 * `--store=` included) is a usage error naming the rule, not a store that is "not found".
 */
export function toStoreTarget(flags: TargetFlagValues): StoreTarget {
  if (flags.store !== undefined) {
    validateStoreName(flags.store)
    return {store: flags.store}
  }
  if (flags.label !== undefined && flags.app !== undefined) {
    validateLabel(flags.label)
    if (flags.app === '') throw new InvalidInputError('The app name given with --app is empty.')
    return {app: flags.app, label: flags.label}
  }
  // oclif's exactlyOne/dependsOn make this unreachable from the command line.
  throw new Error('Give --store, or --label with --app.')
}
