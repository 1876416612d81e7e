// Starts a real kvcloud server (the built binary, its own process) for the server benches.
import {spawn} from 'node:child_process'
import {openSync} from 'node:fs'
import {join} from 'node:path'
import {benchEnv, kvcloud, kvcloudBin} from './measure.js'

/**
 * `kvcloud server start --port 0` with a fresh token for account "bench". Its log lines (one per
 * request, as in production) go to a file, so writing them costs what it costs on a real server.
 */
export async function startKvcloudServer(home, {args = [], env = {}, nodeArgs = []} = {}) {
  const dataDir = join(home, 'server-data')
  const token = kvcloud(['server', 'token', 'create', '--account', 'bench', '--data', dataDir], {home}).toString().trim()
  const log = openSync(join(home, 'server.log'), 'a')
  const child = spawn(process.execPath, [...nodeArgs, kvcloudBin, 'server', 'start', '--port', '0', '--data', dataDir, ...args], {
    env: benchEnv(home, env),
    stdio: ['ignore', log, 'pipe'],
  })
  const url = await waitForLine(child, /listening on (http:\/\/\S+)/)
  return {url, token, dataDir, logFile: join(home, 'server.log'), pid: child.pid, stop: () => stop(child)}
}

/** Any other server script that prints its URL as the first line of stdout. */
export async function startScript(script, {env = process.env} = {}) {
  const child = spawn(process.execPath, [script], {env, stdio: ['ignore', 'pipe', 'inherit']})
  const url = await waitForLine(child, /(http:\/\/\S+)/, 'stdout')
  return {url, pid: child.pid, stop: () => stop(child)}
}

function waitForLine(child, pattern, stream = 'stderr') {
  return new Promise((resolve, reject) => {
    let text = ''
    const onData = (chunk) => {
      text += chunk
      const match = pattern.exec(text)
      if (match) {
        child[stream].off('data', onData)
        child[stream].resume()
        resolve(match[1])
      }
    }
    child[stream].setEncoding('utf8')
    child[stream].on('data', onData)
    child.once('exit', (code) => reject(new Error(`server exited ${code} before listening: ${text}`)))
  })
}

function stop(child) {
  if (child.exitCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}
