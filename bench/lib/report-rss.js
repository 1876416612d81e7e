// Preloaded into a benchmarked kvcloud process: records its peak resident memory (KiB) on exit.
import {writeFileSync} from 'node:fs'

process.on('exit', () => {
  const file = process.env.KVCLOUD_BENCH_RSS_FILE
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS))
})
