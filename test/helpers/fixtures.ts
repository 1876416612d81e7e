import {LocalBackend} from '../../src/lib/sqlite/local-backend.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'
import {runCli, tempHome, type CliResult} from './cli.js'
import {runInProcess} from './in-process.js'

/** Opens the local backend of a test home in this process, for setting up and checking state. */
export async function withBackend<T>(home: string, work: (backend: LocalBackend) => Promise<T>): Promise<T> {
  const backend = LocalBackend.open({home, limits: DEFAULT_LIMITS})
  try {
    return await work(backend)
  } finally {
    await backend.close()
  }
}

/** Deploys `app` with its labels linked to existing stores (apps only come into being by deploy). */
export async function deployApp(home: string, app: string, links: Record<string, string>): Promise<void> {
  await withBackend(home, async (backend) => {
    await backend.deploy({
      app: {name: app, components: [{id: 'web', keyValueStores: Object.keys(links), sqliteDatabases: []}]},
      links: Object.entries(links).map(([label, store]) => ({label, store, create: false})),
    })
  })
}

export async function storeNames(home: string): Promise<string[]> {
  return withBackend(home, async (backend) => (await backend.listStores({limit: 1000})).items.map((store) => store.name))
}

export async function storeContents(home: string, store: string): Promise<Record<string, string>> {
  return withBackend(home, async (backend) => {
    const contents: Record<string, string> = {}
    for await (const pair of backend.exportPairs({store})) contents[pair.key] = Buffer.from(pair.value).toString('hex')
    return contents
  })
}

/**
 * A fresh KVCLOUD_HOME per test, and `kv` bound to it: the real binary in a child process, or with
 * `inProcess` the command in this process (helpers/in-process.ts says what that leaves out).
 */
export function useHome(options: {inProcess?: boolean} = {}): {home: () => string; kv: (args: string[], options?: {input?: string | Buffer; env?: NodeJS.ProcessEnv}) => Promise<CliResult>} {
  let current: {home: string; cleanup: () => void} | undefined
  beforeEach(() => {
    current = tempHome()
  })
  afterEach(() => current?.cleanup())
  const home = () => {
    if (!current) throw new Error('useHome() is only usable inside a test')
    return current.home
  }
  const kv = (args: string[], run: {input?: string | Buffer; env?: NodeJS.ProcessEnv} = {}): Promise<CliResult> => {
    if (!options.inProcess) return runCli(args, {home: home(), ...run})
    if (run.input !== undefined) throw new Error('an in-process run has no stdin of its own: use useHome() for a test that pipes input')
    return runInProcess(args, {home: home(), env: run.env})
  }
  return {home, kv}
}

export function hex(text: string | Buffer): string {
  return Buffer.from(text).toString('hex')
}

/** Creates stores directly (setup, not the command under test: one process instead of one each). */
export async function createStores(home: string, ...names: string[]): Promise<void> {
  await withBackend(home, async (backend) => {
    for (const name of names) await backend.createStore(name)
  })
}

/** Writes pairs directly into a store (setup). */
export async function putPairs(home: string, store: string, pairs: Record<string, string | Buffer>): Promise<void> {
  await withBackend(home, async (backend) => {
    await backend.setValues({store}, Object.entries(pairs).map(([key, value]) => ({key, value: Buffer.from(value)})))
  })
}

/** `count` keys key-00000, key-00001, ... with empty values (setup). */
export async function putManyKeys(home: string, store: string, count: number): Promise<void> {
  await withBackend(home, async (backend) => {
    async function* batches(): AsyncGenerator<Array<{key: string; value: Buffer}>> {
      yield Array.from({length: count}, (_, i) => ({key: `key-${String(i).padStart(5, '0')}`, value: Buffer.alloc(0)}))
    }
    await backend.importPairs({store}, batches())
  })
}
