// Typed failures shared by every backend, the server and the commands.
// Each kind maps to one exit code (CONVENTIONS.md) and one HTTP status, so a
// remote failure and a local one look the same to the user.

export const ExitCode = {
  ok: 0,
  runtime: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  unauthorized: 5,
  /** 128 + SIGINT, as shells report a Ctrl-C. */
  cancelled: 130,
} as const

/**
 * `usage` is a command line the parser refused (unknown flag, missing argument); `invalid` is a
 * value that was parsed but breaks a rule (a bad name, a bad input file). Both exit 2.
 */
export type ErrorKind = 'not-found' | 'conflict' | 'invalid' | 'usage' | 'unauthorized' | 'unavailable' | 'too-large' | 'cancelled'

/** A failure's facts: a code and the names it concerns. */
export interface ErrorFact {
  code: string
  [detail: string]: unknown
}

export class KvError extends Error {
  readonly kind: ErrorKind
  /** Extra lines shown after the message, e.g. a command to run next. */
  readonly hints: string[]
  /** What happened, as data (see core/facts.ts), for whoever turns it into advice or an HTTP answer. */
  fact?: ErrorFact

  constructor(kind: ErrorKind, message: string, hints: string[] = []) {
    super(message)
    this.name = 'KvError'
    this.kind = kind
    this.hints = hints
  }

  get exitCode(): number {
    return exitCodeFor(this.kind)
  }

  get httpStatus(): number {
    return httpStatusFor(this.kind)
  }
}

export class NotFoundError extends KvError {
  constructor(message: string, hints: string[] = []) {
    super('not-found', message, hints)
  }
}

export class ConflictError extends KvError {
  constructor(message: string, hints: string[] = []) {
    super('conflict', message, hints)
  }
}

export class InvalidInputError extends KvError {
  constructor(message: string, hints: string[] = []) {
    super('invalid', message, hints)
  }
}

/** A value, key or request over a configured limit. Usage error locally, 413 remotely. */
export class TooLargeError extends KvError {
  constructor(message: string, hints: string[] = []) {
    super('too-large', message, hints)
  }
}

export class UnauthorizedError extends KvError {
  constructor(message: string, hints: string[] = []) {
    super('unauthorized', message, hints)
  }
}

/** The backend cannot be reached or cannot do its work (I/O, server down, damaged file). */
export class UnavailableError extends KvError {
  constructor(message: string, hints: string[] = []) {
    super('unavailable', message, hints)
  }
}

/**
 * The person at the terminal cancelled a question (Ctrl-C, Esc) or declined what it asked (a
 * relink answered No, a store name mistyped at `kv delete`): nothing was changed. Always exit 130,
 * whichever way the question ended. Never crosses the wire.
 */
export class CancelledError extends KvError {
  constructor(message: string) {
    super('cancelled', message)
  }
}

/** A command line the parser refused (oclif's parse errors), as kvcloud reports it. */
export class UsageError extends KvError {
  constructor(message: string, hints: string[] = []) {
    super('usage', message, hints)
  }
}

export function exitCodeFor(kind: ErrorKind): number {
  switch (kind) {
    case 'not-found': return ExitCode.notFound
    case 'conflict': return ExitCode.conflict
    case 'invalid':
    case 'usage':
    case 'too-large': return ExitCode.usage
    case 'unauthorized': return ExitCode.unauthorized
    case 'unavailable': return ExitCode.runtime
    case 'cancelled': return ExitCode.cancelled
  }
}

export function httpStatusFor(kind: ErrorKind): number {
  switch (kind) {
    case 'not-found': return 404
    case 'conflict': return 409
    case 'invalid':
    case 'usage': return 400
    case 'too-large': return 413
    case 'unauthorized': return 401
    case 'unavailable': return 503
    case 'cancelled': return 400
  }
}

export function kindForHttpStatus(status: number): ErrorKind {
  if (status === 404) return 'not-found'
  if (status === 409) return 'conflict'
  if (status === 413) return 'too-large'
  if (status === 401 || status === 403) return 'unauthorized'
  if (status >= 400 && status < 500) return 'invalid'
  return 'unavailable'
}

export function makeError(kind: ErrorKind, message: string, hints: string[] = []): KvError {
  switch (kind) {
    case 'not-found': return new NotFoundError(message, hints)
    case 'conflict': return new ConflictError(message, hints)
    case 'invalid': return new InvalidInputError(message, hints)
    case 'usage': return new UsageError(message, hints)
    case 'too-large': return new TooLargeError(message, hints)
    case 'unauthorized': return new UnauthorizedError(message, hints)
    case 'unavailable': return new UnavailableError(message, hints)
    case 'cancelled': return new CancelledError(message)
  }
}
