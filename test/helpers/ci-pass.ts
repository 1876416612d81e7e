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

/**
 * A test needs a tool this machine lacks. On a developer's machine it says what is missing and
 * why it matters, then skips, in mocha's output; in CI (CI set) it fails instead, since a CI
 * machine without the tool would otherwise pass without running the test at all.
 */
export function skipOrFailWithout(context: Context, missing: string): void {
  if (process.env.CI) throw new Error(`${missing}; CI is set, so this fails rather than skips (install it on the CI machine)`)
  console.log(`    (skipped: ${missing})`)
  context.skip()
}
