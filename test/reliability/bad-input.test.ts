import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {collectAll} from '../../src/lib/backend.js'
import {LocalBackend} from '../../src/lib/sqlite/local-backend.js'
import {DEFAULT_LIMITS, STORED_DATA_LIMITS} from '../../src/lib/validation.js'
import {runCli, tempHome} from '../helpers/cli.js'

interface BadInput {
  args: string[]
  exit: number
  stderr: RegExp
  input?: string
}

/** Everything a failed command could have touched, read back through the library. */
async function snapshot(home: string): Promise<string> {
  const backend = LocalBackend.open({home, limits: DEFAULT_LIMITS})
  try {
    const stores = await collectAll((cursor) => backend.listStores({cursor}))
    const apps = await collectAll((cursor) => backend.listApps({cursor}))
    const data: Record<string, Array<[string, string]>> = {}
    for (const store of stores) {
      data[store.name] = []
      for await (const pair of backend.exportPairs({store: store.name})) data[store.name]!.push([pair.key, Buffer.from(pair.value).toString('hex')])
    }
    const runtimeConfig = join(home, 'app', 'runtime-config.toml')
    return JSON.stringify({
      stores,
      apps: apps.map(({deployedAt: _d, ...rest}) => rest),
      data,
      runtimeConfig: existsSync(runtimeConfig) ? readFileSync(runtimeConfig, 'utf8') : null,
      config: existsSync(join(home, 'config.json')) ? readFileSync(join(home, 'config.json'), 'utf8') : null,
    })
  } finally {
    await backend.close()
  }
}

describe('bad input to every command: a specific message, the documented exit code, and no change', function () {
  this.timeout(180_000)
  // Made while the suite is defined, so the table below can name files inside it.
  const {home, cleanup} = tempHome()

  before(async function () {
    const app = join(home, 'app')
    mkdirSync(app)
    writeFileSync(join(app, 'spin.toml'), 'spin_manifest_version = 2\ntrigger = {}\n[application]\nname = "shop"\n[component.web]\nsource = "w.wasm"\nkey_value_stores = ["default"]\n')
    writeFileSync(join(home, 'not-toml.toml'), 'spin_manifest_version = 2\ntrigger = {}\n[application\nname = "x"\n')
    writeFileSync(join(home, 'not-spin.toml'), '[package]\nname = "a-cargo-file"\nversion = "0.1.0"\n')
    writeFileSync(join(home, 'bad-label.toml'), 'spin_manifest_version = 2\ntrigger = {}\n[application]\nname = "x"\n[component.web]\nsource = "w.wasm"\nkey_value_stores = ["my-store_x"]\n')
    writeFileSync(join(home, 'no-name.toml'), 'spin_manifest_version = 2\ntrigger = {}\n[application]\nversion = "1"\n')
    writeFileSync(join(home, 'future.toml'), 'spin_manifest_version = 3\n[application]\nname = "x"\n')
    writeFileSync(join(home, 'bad.json'), '[{"key": "a", "value": "1"},')
    writeFileSync(join(home, 'bad-base64.ndjson'), '{"key":"a","value":"1"}\n{"key":"b","value":"%%%","base64":true}\n')
    writeFileSync(join(home, 'missing-field.ndjson'), '{"key":"a","value":"1"}\n{"key":"b","value":"2"}\n{"value":"3"}\n')
    writeFileSync(join(home, 'broken-line.ndjson'), '{"key":"a","value":"1"}\n{"key":"b",\n')
    writeFileSync(join(home, 'bad-utf8.ndjson'), Buffer.concat([Buffer.from('{"key":"k'), Buffer.from([0xc0, 0xaf]), Buffer.from('","value":"v"}\n')]))
    writeFileSync(join(home, 'too-big.bin'), Buffer.alloc(DEFAULT_LIMITS.maxValueBytes + 1, 1))
    // Imports take what a store may hold (Spin writes past the write limits): only past those ceilings is a pair refused.
    writeFileSync(join(home, 'huge-key.ndjson'), JSON.stringify({key: 'k'.repeat(STORED_DATA_LIMITS.maxKeyBytes + 1), value: 'x'}) + '\n')
    for (const args of [['kv', 'create', 'base'], ['kv', 'set', '-s', 'base', 'a=1', 'b=2'], ['deploy', '-f', app, '--link', 'kv:default=base']]) {
      const result = await runCli(args, {home})
      assert.equal(result.exitCode, 0, result.stderr)
    }
  })

  after(function () {
    cleanup()
  })

  const longKey = 'k'.repeat(DEFAULT_LIMITS.maxKeyBytes + 1)
  const hugeKey = 'k'.repeat(STORED_DATA_LIMITS.maxKeyBytes + 1)
  const cases: BadInput[] = [
    // store names
    {args: ['kv', 'create', ''], exit: 2, stderr: /Invalid key value store name ""\. A store name is 1 to 64 characters/},
    {args: ['kv', 'create', '../x'], exit: 2, stderr: /Invalid key value store name "\.\.\/x"\. A store name is 1 to 64/},
    {args: ['kv', 'create', 'a'.repeat(65)], exit: 2, stderr: /A store name is 1 to 64 characters/},
    {args: ['kv', 'create', 'has space'], exit: 2, stderr: /starts with a letter or digit/},
    {args: ['kv', 'create', 'base'], exit: 4, stderr: /Key value store "base" already exists/},
    {args: ['kv', 'rename', 'base', 'bad name'], exit: 2, stderr: /Invalid key value store name "bad name"/},
    {args: ['kv', 'rename', 'nope', 'other'], exit: 3, stderr: /No key value store found with name "nope"/},
    {args: ['kv', 'delete', 'nope', '--yes'], exit: 3, stderr: /No key value store found with name "nope"/},
    {args: ['kv', 'delete', 'base'], exit: 2, stderr: /needs confirmation[\s\S]*--yes/},
    // keys, values and pairs
    {args: ['kv', 'set', '-s', 'base', 'novalue'], exit: 2, stderr: /"novalue" is not a KEY=VALUE pair\. Nothing was written/},
    {args: ['kv', 'set', '-s', 'base', 'ok=1', 'novalue'], exit: 2, stderr: /"novalue" is not a KEY=VALUE pair/},
    {args: ['kv', 'set', '-s', 'base', '=v'], exit: 2, stderr: /has an empty key/},
    {args: ['kv', 'set', '-s', 'base', `${longKey}=v`], exit: 2, stderr: /is 257 bytes; the key limit is 256 bytes/},
    {args: ['kv', 'set', '-s', 'base', 'k', '--file', join(home, 'too-big.bin')], exit: 2, stderr: /the value limit is 1048576 bytes \(1 MiB\)/},
    {args: ['kv', 'set', '-s', 'base', 'k', '--file', join(home, 'missing.bin')], exit: 3, stderr: /No such file/},
    {args: ['kv', 'set', '-s', 'nope', 'k=v'], exit: 3, stderr: /No key value store found with name "nope"/},
    {args: ['kv', 'set', '-s', 'base', '-l', 'default', 'k=v'], exit: 2, stderr: /--label cannot also be provided when using --store/},
    {args: ['kv', 'set', '-l', 'default', 'k=v'], exit: 2, stderr: /must be provided when using --label: --app/},
    {args: ['kv', 'set', '-l', 'nolabel', '-a', 'shop', 'k=v'], exit: 3, stderr: /No key value store found with label "nolabel" for app "shop"/},
    {args: ['kv', 'get', '-s', 'base'], exit: 2, stderr: /Missing 1 required arg/},
    {args: ['kv', 'get', '-s', 'base', 'missing'], exit: 3, stderr: /Key "missing" not found in key value store "base"/},
    {args: ['kv', 'get', '-s', 'base', hugeKey], exit: 2, stderr: /key limit is 65536 bytes/},
    {args: ['kv', 'keys', '-s', 'base', '--limit', '0'], exit: 2, stderr: /Expected an integer greater than or equal to 1/},
    {args: ['kv', 'keys', '-s', 'base', '--cursor', '!!!'], exit: 2, stderr: /Invalid cursor/},
    {args: ['kv', 'unset', '-s', 'base'], exit: 2, stderr: /Missing 1 required arg/},
    {args: ['kv', 'unset', '-s', 'base', ''], exit: 2, stderr: /key cannot be empty/i},
    // import files
    {args: ['kv', 'import', '-s', 'base', join(home, 'bad.json')], exit: 2, stderr: /is not valid JSON/},
    {args: ['kv', 'import', '-s', 'base', join(home, 'bad-base64.ndjson')], exit: 2, stderr: /line 2: "value" of key "b" is not valid base64/},
    {args: ['kv', 'import', '-s', 'base', join(home, 'missing-field.ndjson')], exit: 2, stderr: /line 3: .*"key"/},
    {args: ['kv', 'import', '-s', 'base', join(home, 'broken-line.ndjson')], exit: 2, stderr: /line 2 is not valid JSON/},
    {args: ['kv', 'import', '-s', 'base', join(home, 'bad-utf8.ndjson')], exit: 2, stderr: /line 1 is not valid UTF-8 text/},
    {args: ['kv', 'import', '-s', 'base', join(home, 'huge-key.ndjson')], exit: 2, stderr: /key limit is 65536 bytes/},
    {args: ['kv', 'import', '-s', 'base', join(home, 'nothing.json')], exit: 3, stderr: /No such file/},
    {args: ['kv', 'import', '-s', 'base', '-'], input: 'a=1\n', exit: 2, stderr: /neither a JSON array .* nor NDJSON/},
    {args: ['kv', 'export', '-s', 'base', '--format', 'xml'], exit: 2, stderr: /Expected --format=xml to be one of: json, ndjson/},
    {args: ['kv', 'list', '-g', 'nothing'], exit: 2, stderr: /Expected --group-by=nothing to be one of: app, store/},
    {args: ['kv', 'list', '-a', 'nope'], exit: 3, stderr: /Could not find app 'nope'|No key value store linked to an app named 'nope'/},
    // links and apps
    {args: ['link', 'kv', 'default', '-a', 'shop'], exit: 2, stderr: /Missing required flag store/},
    {args: ['link', 'kv', 'Bad_label-x', '-a', 'shop', '-s', 'base'], exit: 2, stderr: /Invalid label "Bad_label-x"\. A label is kebab-case or snake_case/},
    {args: ['link', 'kv', 'default', '-a', 'nope', '-s', 'base'], exit: 3, stderr: /Could not find app 'nope'/},
    {args: ['link', 'kv', 'default', '-a', 'shop', '-s', 'nope'], exit: 3, stderr: /Key value store "nope" does not exist/},
    {args: ['unlink', 'kv', 'missing', '-a', 'shop'], exit: 3, stderr: /No key value store found with label "missing" for app "shop"/},
    {args: ['apps', 'info', 'nope'], exit: 3, stderr: /Could not find app 'nope'/},
    {args: ['apps', 'delete', 'shop'], exit: 2, stderr: /--yes/},
    // manifests and deploy
    {args: ['deploy', '-f', join(home, 'nothing.toml')], exit: 3, stderr: /No Spin manifest found/},
    {args: ['deploy', '-f', join(home, 'not-toml.toml'), '--yes'], exit: 2, stderr: /not-toml\.toml, line 3/},
    {args: ['deploy', '-f', join(home, 'not-spin.toml'), '--yes'], exit: 2, stderr: /not-spin\.toml.*spin_manifest_version/},
    {args: ['deploy', '-f', join(home, 'bad-label.toml'), '--yes'], exit: 2, stderr: /bad-label\.toml, line 7.*"my-store_x"/},
    {args: ['deploy', '-f', join(home, 'no-name.toml'), '--yes'], exit: 2, stderr: /no-name\.toml.*name/},
    {args: ['deploy', '-f', join(home, 'future.toml'), '--yes'], exit: 2, stderr: /future\.toml, line 1.*version/},
    {args: ['deploy', '-f', join(home, 'app'), '--link', 'nonsense'], exit: 2, stderr: /Links must be of the form 'sqlite:label=database' or 'kv:label=store'/},
    {args: ['deploy', '-f', join(home, 'app'), '--link', 'kv:default=base', '--link', 'kv:default=other'], exit: 2, stderr: /Label default is linked more than once/},
    {args: ['deploy', '-f', join(home, 'app'), '--link', 'kv:other=base'], exit: 2, stderr: /other/},
    {args: ['deploy', '-f', join(home, 'app'), '--link', 'kv:default=bad name'], exit: 2, stderr: /A store name is 1 to 64 characters/},
    {args: ['deploy', '-f', join(home, 'app'), '--key-value', 'novalue'], exit: 2, stderr: /KEY=VALUE/},
    // config and unknown flags
    {args: ['config', 'set', 'max-key-bytes', '-5'], exit: 2, stderr: /must be a whole number of bytes from 1 to 65,536/},
    {args: ['config', 'set', 'nonsense', '1'], exit: 2, stderr: /Expected nonsense to be one of: max-key-bytes, max-value-bytes/},
    {args: ['kv', 'list', '--bogus'], exit: 2, stderr: /Nonexistent flag: --bogus/},
    {args: ['kv', 'get', '-s', 'base', 'a', '--bogus'], exit: 2, stderr: /Nonexistent flag: --bogus/},
    {args: ['deploy', '--bogus'], exit: 2, stderr: /Nonexistent flag: --bogus/},
  ]

  it(`covers ${cases.length} cases, each failing cleanly and changing nothing`, async function () {
    const before = await snapshot(home)
    const problems: string[] = []
    for (const bad of cases) {
      const result = await runCli(bad.args, {home, input: bad.input})
      const name = `kvcloud ${bad.args.map((a) => (a.length > 40 ? a.slice(0, 20) + '…' : a)).join(' ')}`
      if (result.exitCode !== bad.exit) problems.push(`${name}: exit ${result.exitCode}, expected ${bad.exit}: ${result.stderr}`)
      if (!bad.stderr.test(result.stderr)) problems.push(`${name}: stderr ${JSON.stringify(result.stderr)} does not match ${bad.stderr}`)
      if (result.stdout !== '') problems.push(`${name}: printed on stdout: ${JSON.stringify(result.stdout.slice(0, 200))}`)
      if (/\n\s+at .+:\d+:\d+/.test(result.stderr)) problems.push(`${name}: printed a stack trace`)
      const after = await snapshot(home)
      if (after !== before) problems.push(`${name}: changed state`)
    }
    assert.deepEqual(problems, [])
  })
})
