import assert from 'node:assert/strict'
import {confirmationNeededError} from '../../../src/lib/cli/confirm-or-fail.js'
import {InvalidInputError} from '../../../src/lib/errors.js'

describe('confirmOrFail: the failure when nobody can confirm', () => {
  const needed = {action: 'Deleting app "shop"', unchanged: 'Nothing was deleted.', goal: 'delete it', yesCommand: 'apps delete shop --yes'}

  it('says what needed confirming and why nothing was asked, and gives the line to run (exit 2)', () => {
    const error = confirmationNeededError(needed, 'there is no terminal to ask on')
    assert.ok(error instanceof InvalidInputError)
    assert.equal(error.exitCode, 2)
    assert.equal(error.message, 'Deleting app "shop" needs confirmation, and there is no terminal to ask on. Nothing was deleted.')
    assert.deepEqual(error.hints, ['To delete it from a script, run: kvcloud apps delete shop --yes'])
  })

  it('names the command as Spin runs it, inside Spin', () => {
    const saved = process.env.SPIN_BIN_PATH
    process.env.SPIN_BIN_PATH = '/usr/local/bin/spin'
    try {
      assert.deepEqual(confirmationNeededError(needed, 'CI is set (CI=1), so kvcloud asks no questions').hints, [
        'To delete it from a script, run: spin kvcloud apps delete shop --yes',
      ])
    } finally {
      if (saved === undefined) delete process.env.SPIN_BIN_PATH
      else process.env.SPIN_BIN_PATH = saved
    }
  })
})
