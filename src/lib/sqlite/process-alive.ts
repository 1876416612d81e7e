/**
 * Whether a process of this machine still runs, to tell a crashed kvcloud's leftovers (an
 * import it staged, a file it made) from work another kvcloud is doing right now.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as {code?: string}).code === 'EPERM'
  }
}
