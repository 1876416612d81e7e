import {strict as assert} from 'node:assert'
import fc from 'fast-check'
import {EntryError, formatEntry, isBase64, parseEntry, parseEntryText, toEntry} from '../../../src/lib/transfer/entry.js'
import {TooLargeError} from '../../../src/lib/errors.js'

const limits = {maxKeyBytes: 256, maxValueBytes: 1024}

describe('transfer entries', () => {
  it('writes UTF-8 values as text and any other bytes as base64', () => {
    assert.deepEqual(toEntry({key: 'a', value: Buffer.from('héllo\n')}), {key: 'a', value: 'héllo\n'})
    assert.deepEqual(toEntry({key: 'b', value: Buffer.from([0xff, 0x00, 0x41])}), {key: 'b', value: '/wBB', base64: true})
    assert.equal(formatEntry({key: 'c', value: new Uint8Array([0xc3])}), '{"key":"c","value":"ww==","base64":true}')
    assert.equal(formatEntry({key: 'd', value: new Uint8Array()}), '{"key":"d","value":""}')
  })

  it('keeps a byte order mark and other valid UTF-8 exactly', () => {
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, 0x41, 0xef, 0xbf, 0xbf])
    const entry = toEntry({key: 'k', value: bytes})
    assert.equal(entry.base64, undefined)
    assert.deepEqual(parseEntry(entry).value, bytes)
  })

  it('round-trips any key and any bytes through one line of text', () => {
    fc.assert(
      fc.property(fc.string({unit: 'grapheme', minLength: 1, maxLength: 20}), fc.uint8Array({maxLength: 64}), (key, value) => {
        const line = formatEntry({key, value})
        assert.ok(!line.includes('\n'))
        const pair = parseEntry(parseEntryText(line))
        assert.equal(pair.key, key)
        assert.deepEqual(Buffer.from(pair.value), Buffer.from(value))
      }),
      {numRuns: 300},
    )
  })

  it('parses a line exactly as JSON.parse does, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({maxLength: 12}), fc.string({maxLength: 12}), fc.boolean(), (key, value, base64) => {
        for (const line of [
          JSON.stringify(base64 ? {key, value, base64: true} : {key, value}),
          `{"key":"${key}","value":"${value}"}`,
          `{"key":"${key}","value":"${value}","base64":true}`,
        ]) {
          let expected: unknown
          try {
            expected = JSON.parse(line)
          } catch {
            assert.throws(() => parseEntryText(line), SyntaxError)
            continue
          }
          assert.deepEqual(parseEntryText(line), expected)
        }
      }),
      {numRuns: 500},
    )
  })

  it('rejects a raw control character inside a string, as JSON does', () => {
    assert.throws(() => parseEntryText('{"key":"a","value":"x\ty"}'), SyntaxError)
  })

  it('accepts only padded standard base64', () => {
    for (const good of ['', 'QQ==', 'QUI=', 'QUJD', 'a+/9']) assert.ok(isBase64(good), good)
    for (const bad of ['Q', 'QQ', 'QQ=', 'Q===', 'QU JD', 'QUJD\n', '_-_-', '!!!!', 'QQ==QQ==']) assert.ok(!isBase64(bad), bad)
  })

  it('names what is wrong with an entry', () => {
    const problems: Array<[unknown, RegExp]> = [
      [null, /expected an object, got null/],
      [[1], /expected an object, got an array/],
      ['x', /expected an object, got a string/],
      [{value: 'v'}, /missing "key"/],
      [{key: 1, value: 'v'}, /"key" must be a string, got number 1/],
      [{key: 'k'}, /missing "value" for key "k"/],
      [{key: 'k', value: {}}, /"value" of key "k" must be a string, got an object/],
      [{key: 'k', value: 'v', base64: 'yes'}, /"base64" of key "k" must be true or false, got a string/],
      [{key: 'k', value: 'not base64!', base64: true}, /"value" of key "k" is not valid base64/],
      [{key: 'k', value: '\ud800'}, /unpaired surrogate/],
    ]
    for (const [entry, message] of problems) {
      assert.throws(() => parseEntry(entry), (error: Error) => error instanceof EntryError && message.test(error.message), String(message))
    }
  })

  it('decodes base64 values and treats "base64": false as text', () => {
    assert.deepEqual(parseEntry({key: 'k', value: '/wA=', base64: true}).value, Buffer.from([0xff, 0]))
    assert.deepEqual(parseEntry({key: 'k', value: '/wA=', base64: false}).value, Buffer.from('/wA='))
  })

  it('applies the key and value limits when given', () => {
    assert.throws(() => parseEntry({key: 'k'.repeat(257), value: ''}, limits), TooLargeError)
    assert.throws(() => parseEntry({key: 'k', value: 'v'.repeat(1025)}, limits), TooLargeError)
    assert.doesNotThrow(() => parseEntry({key: 'k'.repeat(256), value: 'v'.repeat(1024)}, limits))
    assert.throws(() => parseEntry({key: '', value: ''}, limits), /cannot be empty/)
  })
})
