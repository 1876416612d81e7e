import {spawn} from 'node:child_process'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const script = join(dirname(fileURLToPath(import.meta.url)), 'spin-app.ts')

export interface SpinAppReport {
  sets: number
  written: number
  lastKey?: string
  incremented: number
  maxWaitMs: number
  failures: string[]
}

export interface SpinAppPlan {
  sets?: number
  prefix?: string
  deletes?: number
  increments?: number
  counter?: string
  everyMs?: number
  untilFile?: string
}

/** Runs spin-app.ts in its own process against a store file, as a running `spin up` would use it. */
export function runSpinApp(file: string, label: string, plan: SpinAppPlan): Promise<SpinAppReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, file, label, JSON.stringify(plan)])
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`spin-app exited ${code}: ${stderr}`))
      else resolve(JSON.parse(stdout) as SpinAppReport)
    })
  })
}
