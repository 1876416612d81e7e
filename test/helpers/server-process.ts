import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {join} from 'node:path'
import {binPath, tempHome} from './cli.js'
import {createToken} from './server-helpers.js'

export interface ServerProcess {
  child: ChildProcessWithoutNullStreams
  url: string
  stdout(): string
  stderr(): string
  /** Sends the signal and waits for the process to end. */
  stop(signal?: NodeJS.Signals): Promise<{exitCode: number | null; stdout: string; stderr: string}>
}

/**
 * Runs `kvcloud server start` from the built binary as a child process and waits until it says
 * where it listens. Rejects with everything it printed when it exits first.
 */
export function startServerProcess(
  args: string[],
  options: {home: string; env?: NodeJS.ProcessEnv; /** Runs it under `ulimit -n N` (a POSIX shell's). */ descriptorLimit?: number},
): Promise<ServerProcess> {
  const command = [process.execPath, binPath, 'server', 'start', ...args]
  // exec: the server is the shell's process itself, so its pid and signals are the server's.
  const [file, ...argv] = options.descriptorLimit === undefined ? command : ['sh', '-c', `ulimit -n ${options.descriptorLimit} && exec "$@"`, 'sh', ...command]
  const child = spawn(file!, argv, {
    cwd: options.home,
    env: {...process.env, KVCLOUD_HOME: options.home, NO_COLOR: '1', ...options.env},
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')))
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null) child.kill(signal)
    const exitCode = await exited
    return {exitCode, stdout: out, stderr: err}
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`server did not start within 15 s:\n${err}`))
    }, 15_000)
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8')
      const match = /listening on (http:\/\/\S+) /.exec(err)
      if (match) {
        clearTimeout(timer)
        resolve({child, url: match[1]!, stdout: () => out, stderr: () => err, stop})
      }
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(Object.assign(new Error(`server exited with ${code} before listening:\n${err}`), {exitCode: code, stdout: out, stderr: err}))
    })
  })
}

export interface ServerAndUser {
  server: ServerProcess
  /** The client side's KVCLOUD_HOME (the server has a home of its own, as on another machine). */
  userHome: string
  /** A token of the account "team". */
  token: string
}

/**
 * Starts a server (port 0, its own home and data folder) with a token for the account "team"
 * before the tests of the enclosing describe, and a user home beside it; stops and removes both after.
 */
export function useServerAndUser(prefix: string): () => ServerAndUser {
  let admin: ReturnType<typeof tempHome> | undefined
  let user: ReturnType<typeof tempHome> | undefined
  let setup: ServerAndUser | undefined
  before(async function () {
    admin = tempHome(`${prefix}-admin-`)
    user = tempHome(`${prefix}-user-`)
    const dataDir = join(admin.home, 'data')
    const server = await startServerProcess(['--port', '0', '--data', dataDir, '--log-level', 'warn'], {home: admin.home})
    setup = {server, userHome: user.home, token: createToken(dataDir, 'team').token}
  })
  after(async function () {
    await setup?.server.stop('SIGKILL')
    admin?.cleanup()
    user?.cleanup()
  })
  return () => {
    if (!setup) throw new Error('useServerAndUser() is only usable inside a test')
    return setup
  }
}
