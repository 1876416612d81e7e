import {spawn} from 'node:child_process'
import {stripVTControlCharacters} from 'node:util'
import {binPath} from './cli.js'
import {shellQuote} from '../../src/lib/shell.js'

export interface PtyStep {
  /** Wait until the screen, since the previous step, matches this. */
  when: RegExp
  /** Then type these keys. */
  keys: string
}

export interface PtyResult {
  /** Everything the terminal showed, without colours and cursor movements. */
  screen: string
  exitCode: number
  /** Steps that never matched (0 when the script ran to the end). */
  unmatchedSteps: number
}


/**
 * Runs `kvcloud ARGS` in a pseudo-terminal 200 columns wide and answers its questions: each step
 * waits for its text on the screen, then types its keys, as a person would.
 */
export function runInPty(args: string[], options: PtyOptions): Promise<PtyResult> {
  return runShellInPty(`exec ${[process.execPath, binPath, ...args].map(shellQuote).join(' ')}`, options, `kvcloud ${args.join(' ')}`)
}

export interface PtyOptions {
  home: string
  cwd: string
  steps: PtyStep[]
  timeoutMs?: number
  env?: NodeJS.ProcessEnv
}

/** Runs a bash command line in the same pseudo-terminal, answered in the same way. */
export function runShellInPty(commandLine: string, options: PtyOptions, name = commandLine): Promise<PtyResult> {
  const command = `stty cols 200 rows 50; ${commandLine}`
  const env: NodeJS.ProcessEnv = {...process.env, KVCLOUD_HOME: options.home, NO_COLOR: '1', TERM: 'xterm'}
  delete env.CI
  delete env.FORCE_COLOR
  Object.assign(env, options.env)
  // script runs the command with $SHELL -c: bash, whatever the user's login shell, so a line means what it means in bash -c.
  env.SHELL = '/bin/bash'
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {cwd: options.cwd, env})
  const steps = [...options.steps]
  let raw = ''
  let mark = 0
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${name} in a terminal did not finish; waiting for ${steps[0]?.when ?? 'exit'}. Screen:\n${stripVTControlCharacters(raw)}`))
    }, options.timeoutMs ?? 20_000)
    child.stdout.on('data', (chunk: Buffer) => {
      raw += chunk.toString('utf8')
      const step = steps[0]
      if (step && step.when.test(stripVTControlCharacters(raw.slice(mark)))) {
        steps.shift()
        mark = raw.length
        // A moment for the prompt to finish drawing and listen, as a person's reaction time would give.
        setTimeout(() => child.stdin.write(step.keys), 80)
      }
    })
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({screen: stripVTControlCharacters(raw).replace(/\r\n/g, '\n'), exitCode: code ?? -1, unmatchedSteps: steps.length})
    })
  })
}
