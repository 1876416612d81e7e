import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {LocalBackend} from '../../../src/lib/sqlite/local-backend.js'
import {CONFORMANCE_LIMITS, describeBackendConformance} from '../core/backend-conformance.js'

describeBackendConformance('local SQLite', async () => {
  const home = mkdtempSync(join(tmpdir(), 'kvcloud-local-'))
  const backend = LocalBackend.open({home, limits: CONFORMANCE_LIMITS})
  return {
    backend,
    cleanup: async () => {
      await backend.close()
      rmSync(home, {recursive: true, force: true})
    },
  }
})
