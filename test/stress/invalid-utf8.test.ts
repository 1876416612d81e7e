import assert from 'node:assert/strict'
import {request, startTestServer, type TestServer} from '../helpers/test-server.js'

// Issue 11, item 4: bytes that are not UTF-8 (0xff, 0xfe) and lone surrogates in JSON bodies are
// refused with 400 naming the pair, never stored as U+FFFD (which made "coll\xff" and "coll\xfe"
// the same key, the second overwriting the first).

const json = (text: string) => Buffer.from(text, 'utf8')
/** `text` with each "@" replaced by the raw byte. */
const withByte = (text: string, byte: number) => Buffer.concat(text.split('@').flatMap((part, i) => (i === 0 ? [json(part)] : [Buffer.from([byte]), json(part)])))

describe('hostile clients: JSON bodies that are not UTF-8 are refused, never rewritten to U+FFFD', function () {
  let server: TestServer
  let token: string

  before(async function () {
    server = await startTestServer()
    token = server.token('utf8').token
    assert.equal((await request(server, 'POST', '/api/key-value-stores/coll', {token, json: null})).status, 201)
  })

  after(async function () {
    await server.close()
  })

  const keys = async () => (await request(server, 'GET', '/api/key-value-stores/coll/keys', {token})).json<{keys: string[]}>().keys

  const cases: Array<{what: string; path: string; contentType: string; body: Buffer; names: RegExp}> = [
    {
      what: 'a key with byte 0xff in /pairs',
      path: '/api/key-value-stores/coll/pairs',
      contentType: 'application/json',
      body: withByte('{"pairs":[{"key":"fine","value":"v"},{"key":"coll@","value":"v"}]}', 0xff),
      names: /key of pairs\[1\]/,
    },
    {
      what: 'a value with byte 0xfe in /pairs',
      path: '/api/key-value-stores/coll/pairs',
      contentType: 'application/json',
      body: withByte('{"pairs":[{"key":"k1","value":"bad@value"}]}', 0xfe),
      names: /value of pairs\[0\] \(key "k1"\)/,
    },
    {
      what: 'a value with a lone surrogate in /pairs',
      path: '/api/key-value-stores/coll/pairs',
      contentType: 'application/json',
      body: json('{"pairs":[{"key":"a","value":"x"},{"key":"lone","value":"half \\ud800 of a pair"}]}'),
      names: /"lone"/,
    },
    {
      what: 'a key with a lone surrogate in /pairs',
      path: '/api/key-value-stores/coll/pairs',
      contentType: 'application/json',
      body: json('{"pairs":[{"key":"k\\udc00","value":"x"}]}'),
      names: /key/,
    },
    {
      what: 'a key with byte 0xff in /key-value-pairs',
      path: '/api/key-value-pairs',
      contentType: 'application/json',
      body: withByte('{"storeName":"coll","key":"coll@","value":"v"}', 0xff),
      names: /key/,
    },
    {
      what: 'a value with a lone surrogate in /key-value-pairs',
      path: '/api/key-value-pairs',
      contentType: 'application/json',
      body: json('{"storeName":"coll","key":"single","value":"\\udfff"}'),
      names: /"single"/,
    },
    {
      what: 'a key with byte 0xff in /import',
      path: '/api/key-value-stores/coll/import',
      contentType: 'application/x-ndjson',
      body: withByte('{"key":"ok","value":"v"}\n{"key":"coll@","value":"v"}\n', 0xff),
      names: /[Ll]ine 2/,
    },
    {
      what: 'a value with byte 0xfe in /import',
      path: '/api/key-value-stores/coll/import',
      contentType: 'application/x-ndjson',
      body: withByte('{"key":"ok","value":"v"}\n{"key":"other","value":"v"}\n{"key":"k3","value":"@"}\n', 0xfe),
      names: /[Ll]ine 3/,
    },
    {
      what: 'a value with a lone surrogate in /import',
      path: '/api/key-value-stores/coll/import',
      contentType: 'application/x-ndjson',
      body: json('{"key":"ok","value":"v"}\n{"key":"lone","value":"\\ud83d"}\n'),
      names: /[Ll]ine 2.*"lone"/,
    },
  ]

  for (const {what, path, contentType, body, names} of cases) {
    it(`answers 400 naming the pair for ${what}, and stores nothing`, async function () {
      const answer = await request(server, 'POST', path, {token, body, contentType})
      assert.equal(answer.status, 400, answer.text)
      const detail = answer.json<{detail?: string}>().detail ?? ''
      assert.match(detail, /UTF-8/, detail)
      assert.match(detail, names, detail)
      assert.deepEqual(await keys(), [])
    })
  }

  it('keeps "coll\\xff" and "coll\\xfe" from both becoming "coll\\uFFFD"', async function () {
    for (const byte of [0xff, 0xfe]) {
      const answer = await request(server, 'POST', '/api/key-value-stores/coll/pairs', {
        token, body: withByte('{"pairs":[{"key":"coll@","value":"first"}]}', byte), contentType: 'application/json',
      })
      assert.equal(answer.status, 400)
    }
    assert.deepEqual(await keys(), [])
  })

  it('still takes U+FFFD itself, and every other well-formed character, as sent', async function () {
    const key = 'r\ufffd-\u{1f600}-é'
    const answer = await request(server, 'POST', '/api/key-value-stores/coll/pairs', {token, json: {pairs: [{key, value: 'v\ufffd\u{10ffff}'}]}})
    assert.equal(answer.status, 204, answer.text)
    const value = await request(server, 'GET', `/api/key-value-stores/coll/keys/${encodeURIComponent(key)}`, {token})
    assert.equal(value.bytes.toString('utf8'), 'v\ufffd\u{10ffff}')
    assert.equal((await request(server, 'DELETE', `/api/key-value-stores/coll/keys/${encodeURIComponent(key)}`, {token})).status, 200)
  })

  it('still refuses a body that is not JSON at all with the same 400 as before', async function () {
    const answer = await request(server, 'POST', '/api/key-value-stores/coll/pairs', {token, body: '{"pairs": [', contentType: 'application/json'})
    assert.equal(answer.status, 400)
    const answer2 = await request(server, 'POST', '/api/key-value-stores/coll/pairs', {token, body: '{"__proto__": {"x": 1}, "pairs": []}', contentType: 'application/json'})
    assert.equal(answer2.status, 400)
  })
})
