// Preloaded into the binary (NODE_OPTIONS=--require) by loads.test.ts: when the process exits, it
// writes to stderr the npm packages that were loaded from node_modules through Node's CommonJS
// loader (which @oclif/core, cli-table3 and better-sqlite3 all go through, even when imported
// from ES modules). A package bundled into a fast path's file never shows up here.
'use strict'
/* global require */
process.on('exit', () => {
  const packages = new Set()
  for (const file of Object.keys(require.cache)) {
    const inside = file.split(/[\\/]node_modules[\\/]/).at(-1)
    if (inside === file) continue
    const parts = inside.split(/[\\/]/)
    packages.add(parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0])
  }
  process.stderr.write(`\nLOADED PACKAGES ${JSON.stringify([...packages].sort())}\n`)
})
