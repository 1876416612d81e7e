import {strict as assert} from 'node:assert'
import {InvalidInputError} from '../../../src/lib/errors.js'
import {parsePairArgs} from '../../../src/lib/transfer/pair-args.js'

describe('KEY=VALUE arguments', () => {
  it('splits on the first "=" and allows empty values', () => {
    const pairs = parsePairArgs(['a=1', 'url=https://x?y=z', 'empty=', 'ü=ä'])
    assert.deepEqual(
      pairs.map((pair) => [pair.key, Buffer.from(pair.value).toString('utf8')]),
      [['a', '1'], ['url', 'https://x?y=z'], ['empty', ''], ['ü', 'ä']],
    )
  })

  it('names the first argument without "="', () => {
    assert.throws(
      () => parsePairArgs(['a=1', 'oops', 'b=2']),
      (error: Error) => error instanceof InvalidInputError && error.message === '"oops" is not a KEY=VALUE pair. Nothing was written.',
    )
  })

  it('refuses an empty key', () => {
    assert.throws(() => parsePairArgs(['=value']), /"=value" has an empty key/)
  })
})
