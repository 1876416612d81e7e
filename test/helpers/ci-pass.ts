import type {Context} from 'mocha'

/**
 * CI runs the whole suite on Node 20, then again on Node 22 and 24 (.ci/run sets
 * KVCLOUD_CI_NODE_PASS=secondary on those extra passes). A test whose subject does not depend on
 * the Node running mocha (it brings its own Node 22 and 24, or builds the Spin plugin) runs in
 * the first pass only; in the others it says so and skips, in mocha's output.
 */
export function skipOnSecondaryPass(context: Context, what: string): void {
  if (process.env.KVCLOUD_CI_NODE_PASS !== 'secondary') return
  console.log(`    (skipped: KVCLOUD_CI_NODE_PASS=secondary, and ${what} does not depend on the Node running the suite; the first pass ran it)`)
  context.skip()
}
