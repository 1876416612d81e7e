// A separate process that writes keys one transaction at a time, as many kvcloud processes would.
import {LocalBackend} from '../../../src/lib/sqlite/local-backend.js'
import {DEFAULT_LIMITS} from '../../../src/lib/validation.js'

const [home, store, prefix, countText] = process.argv.slice(2)
const backend = LocalBackend.open({home: home!, limits: DEFAULT_LIMITS})
for (let i = 0; i < Number(countText); i++) {
  await backend.setValues({store: store!}, [{key: `${prefix}-${i}`, value: Buffer.from(`${prefix}:${i}`)}])
  // A millisecond between writes, as any real caller has: eight writers with no gap at all can
  // keep SQLite's lock busy long enough to starve a Spin writer past its 5 s wait.
  await new Promise((resolve) => setTimeout(resolve, 1))
}
await backend.close()
