import assert from 'node:assert/strict'
import {Pool} from 'undici'
import type {Pair} from '../../src/lib/backend.js'
import {KvError} from '../../src/lib/errors.js'
import {HttpBackend} from '../../src/lib/http/http-backend.js'
import {DEFAULT_LIMITS} from '../../src/lib/validation.js'
import type {ServerProcess} from '../helpers/server-process.js'

/** What one write request came to, as its client saw it. */
export interface Outcome {
  key: string
  acknowledged: boolean
  /** The client's error message, when it got one. */
  error?: string
}

export interface LoadResult {
  outcomes: Outcome[]
  importOutcome: {acknowledged: boolean; error?: string}
  importedKeys: string[]
  stopMs: number
  exitCode: number | null
  stderr: string
}

export const valueOf = (key: string) => Buffer.from(`v:${key}`)

/**
 * Runs many writers against the server, sends it SIGTERM while they write, and lets each writer
 * go on until the server is gone. Every request ends in an acknowledgement or an error (none may
 * hang: each has a deadline).
 */
export async function writeThroughStop(server: ServerProcess, token: string, options: {writers: number; stopAfterMs: number}): Promise<LoadResult> {
  const outcomes: Outcome[] = []
  let serverGone = false
  const until = (consecutiveErrors: number) => consecutiveErrors >= 3 || (serverGone && consecutiveErrors >= 1)

  // HttpBackend writers: POST /pairs (never retried) and, for every third key, a batch of five.
  const backendWriter = async (writer: number) => {
    const backend = await HttpBackend.connect({url: server.url, token, limits: DEFAULT_LIMITS, requestTimeoutMs: 15_000})
    let errors = 0
    try {
      for (let n = 0; !until(errors); n++) {
        const keys = n % 3 === 0 ? Array.from({length: 5}, (_, i) => `hb${writer}-${n}-${i}`) : [`hb${writer}-${n}`]
        try {
          await backend.setValues({store: 'load'}, keys.map((key) => ({key, value: valueOf(key)})))
          for (const key of keys) outcomes.push({key, acknowledged: true})
          errors = 0
        } catch (error) {
          assert.ok(error instanceof KvError, `not a typed error: ${String(error)}`)
          for (const key of keys) outcomes.push({key, acknowledged: false, error: error.message})
          errors++
        }
      }
    } finally {
      await backend.close()
    }
  }

  // Raw writers: PUT of raw bytes, no retries, as any HTTP client might.
  const rawWriter = async (writer: number) => {
    const pool = new Pool(server.url, {connections: 1, headersTimeout: 15_000, bodyTimeout: 15_000})
    let errors = 0
    try {
      for (let n = 0; !until(errors); n++) {
        const key = `raw${writer}-${n}`
        try {
          const response = await pool.request({
            method: 'PUT',
            path: `/api/key-value-stores/load/keys/${encodeURIComponent(key)}`,
            headers: {authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream'},
            body: valueOf(key),
          })
          const text = await response.body.text()
          if (response.statusCode === 204) {
            outcomes.push({key, acknowledged: true})
            errors = 0
          } else {
            outcomes.push({key, acknowledged: false, error: `HTTP ${response.statusCode} ${text}`})
            errors++
          }
        } catch (error) {
          outcomes.push({key, acknowledged: false, error: `${(error as {code?: string}).code ?? ''} ${(error as Error).message}`})
          errors++
        }
      }
    } finally {
      await pool.close()
    }
  }

  // One import streaming in slowly while the stop comes.
  const importedKeys: string[] = []
  const importOutcome: LoadResult['importOutcome'] = {acknowledged: false}
  const importer = async () => {
    const backend = await HttpBackend.connect({url: server.url, token, limits: DEFAULT_LIMITS})
    async function* batches(): AsyncIterable<Pair[]> {
      for (let batch = 0; batch < 40; batch++) {
        const pairs = Array.from({length: 500}, (_, i) => ({key: `imp-${batch}-${i}`, value: valueOf(`imp-${batch}-${i}`)}))
        importedKeys.push(...pairs.map((pair) => pair.key))
        yield pairs
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    try {
      await backend.importPairs({store: 'load'}, batches())
      importOutcome.acknowledged = true
    } catch (error) {
      importOutcome.error = (error as Error).message
    } finally {
      await backend.close()
    }
  }

  // The import goes first: under load a new connection can wait in the accept queue for a while,
  // and one still waiting when the server stops is reset (its client sees "connection closed").
  const importing = importer()
  await new Promise((resolve) => setTimeout(resolve, 200))
  const writers = [
    ...Array.from({length: Math.ceil(options.writers * 0.6)}, (_, i) => backendWriter(i)),
    ...Array.from({length: Math.floor(options.writers * 0.4)}, (_, i) => rawWriter(i)),
    importing,
  ]
  await new Promise((resolve) => setTimeout(resolve, options.stopAfterMs))
  const stopStarted = Date.now()
  const stopped = server.stop('SIGTERM').then((result) => {
    serverGone = true
    return result
  })
  await Promise.all(writers)
  const {exitCode, stderr} = await stopped
  return {outcomes, importOutcome, importedKeys, stopMs: Date.now() - stopStarted, exitCode, stderr}
}

/** Sorts what clients saw into acknowledged, and errors by kind, for the figures. */
export function summarize(result: LoadResult): Record<string, number> {
  const counts: Record<string, number> = {acknowledged: 0}
  for (const outcome of result.outcomes) {
    if (outcome.acknowledged) {
      counts.acknowledged!++
      continue
    }
    const kind = /could not handle the request|HTTP 503|shutting down/.test(outcome.error!) ? 'refused while stopping (503)'
      : /connection was refused|ECONNREFUSED/.test(outcome.error!) ? 'connection refused after stop'
        : /closed before the answer|ECONNRESET|UND_ERR_SOCKET|other side closed|UND_ERR_CLOSED/.test(outcome.error!) ? 'connection closed'
          : `other: ${outcome.error}`
    counts[kind] = (counts[kind] ?? 0) + 1
  }
  return counts
}
