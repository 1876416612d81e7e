import {join} from 'node:path'
import type {FastifyInstance, FastifyServerOptions} from 'fastify'
import {UnavailableError} from '../errors.js'
import {resolvePaths} from '../paths.js'
import {buildServer} from './build-server.js'
import type {ServerLimits} from './limits.js'

/** `<kvcloud data folder>/server`, so a server and the local backend never share files. */
export function defaultServerDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(resolvePaths(env).dataDir, 'server')
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

export interface StartOptions {
  host: string
  port: number
  dataDir: string
  limits?: Partial<ServerLimits>
  logger?: FastifyServerOptions['logger']
  /** How long in-flight requests get to finish on shutdown before their connections are cut. */
  shutdownGraceMs?: number
}

export interface RunningServer {
  app: FastifyInstance
  url: string
  /** Stops accepting, lets in-flight requests finish (within the grace time), closes every database. */
  close(): Promise<void>
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const app = buildServer({dataDir: options.dataDir, limits: options.limits, logger: options.logger})
  let url: string
  try {
    url = await app.listen({host: options.host, port: options.port})
  } catch (error) {
    await app.close().catch(() => undefined)
    throw listenError(error, options.host, options.port)
  }
  const grace = options.shutdownGraceMs ?? 30_000
  return {
    app,
    url,
    async close() {
      const timer = setTimeout(() => app.server.closeAllConnections(), grace)
      // Node closes the connections that are idle when closing starts; one whose answer was
      // still streaming becomes idle later, and a keep-alive client would hold it (and the
      // shutdown) open until the grace time ran out.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 250)
      try {
        await app.close()
      } finally {
        clearTimeout(timer)
        clearInterval(sweep)
      }
    },
  }
}

export function listenError(error: unknown, host: string, port: number): Error {
  const code = (error as {code?: string}).code
  if (code === 'EADDRINUSE') {
    return new UnavailableError(`Port ${port} on ${host} is already in use, so the kvcloud server cannot start.`, [
      'Stop the program that uses it, or pick another port with --port N.',
    ])
  }
  if (code === 'EACCES') {
    return new UnavailableError(`Not allowed to listen on port ${port} on ${host}.`, ['Ports below 1024 need extra rights; pick --port 3000 or another above 1023.'])
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new UnavailableError(`Cannot listen on ${host}: it is not an address of this machine.`, [
      'Pass --host with one of its addresses, 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).',
    ])
  }
  return error as Error
}

/**
 * Resolves with the first SIGINT or SIGTERM. A second one while shutting down ends the process
 * at once: whoever presses Ctrl+C twice does not want to wait.
 */
export function waitForStopSignal(onSecondSignal: (signal: NodeJS.Signals) => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']
    const first = (signal: NodeJS.Signals) => {
      for (const name of signals) {
        process.off(name, first)
        process.once(name, onSecondSignal)
      }
      resolve(signal)
    }
    for (const name of signals) process.once(name, first)
  })
}
