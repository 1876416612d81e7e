import {strict as assert} from 'node:assert'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {UserConfig} from '../../../src/lib/cli/config.js'
import {describeBytes, parseConfigValue, readConfigEntry, writeConfigValue} from '../../../src/lib/cli/config-keys.js'
import {InvalidInputError} from '../../../src/lib/errors.js'

describe('config keys', () => {
  let home: string
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'kvcloud-config-'))
  })
  afterEach(() => rmSync(home, {recursive: true, force: true}))

  it('parses whole numbers of bytes within range', () => {
    assert.equal(parseConfigValue('max-value-bytes', '2097152'), 2097152)
    assert.equal(parseConfigValue('max-key-bytes', ' 512 '), 512)
    for (const bad of ['', 'abc', '1.5', '-1', '0', '1e3', '0x10', '65537']) {
      assert.throws(() => parseConfigValue('max-key-bytes', bad), InvalidInputError, bad)
    }
    assert.throws(() => parseConfigValue('max-value-bytes', '1000000001'), /from 1 to 1,000,000,000/)
  })

  it('reads defaults, then what was written, from the config file', async () => {
    const env = {KVCLOUD_HOME: home}
    const fresh = await UserConfig.open({env})
    assert.deepEqual(readConfigEntry(fresh, 'max-value-bytes'), {
      key: 'max-value-bytes',
      value: 1048576,
      source: 'default',
      default: 1048576,
      description: 'Largest value accepted, in bytes',
    })
    const writable = await UserConfig.open({env, forWriting: true})
    writeConfigValue(writable, 'max-value-bytes', 4096)
    writeConfigValue(writable, 'max-key-bytes', 300)
    const reread = await UserConfig.open({env})
    assert.deepEqual(reread.limits, {maxKeyBytes: 300, maxValueBytes: 4096})
    assert.equal(readConfigEntry(reread, 'max-key-bytes').source, 'config')
    assert.deepEqual(JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')).limits, {maxValueBytes: 4096, maxKeyBytes: 300})
  })

  it('describes sizes', () => {
    assert.equal(describeBytes(256), '256 bytes')
    assert.equal(describeBytes(1048576), '1048576 (1 MiB)')
  })
})
