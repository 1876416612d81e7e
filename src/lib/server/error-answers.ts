import type {FastifyError, FastifyInstance, FastifyReply, FastifyRequest} from 'fastify'
import {KvError} from '../errors.js'
import {commandLine} from '../cli-name.js'
import {discardRestOfBody} from './discard-body.js'
import {ServerBusyError} from './import-gate.js'
import type {ServerLimits} from './limits.js'

/**
 * Every failure as an HTTP answer: typed errors by their kind ({detail, fact, hints}), a request that
 * breaks its schema as {title, errors} naming each field, storage trouble as a summary (the
 * operator's log gets the details), anything else as 500.
 */
export function answerErrors(app: FastifyInstance, limits: ServerLimits): void {
  app.setErrorHandler((error: FastifyError | KvError, request, reply) => sendError(error, request, reply, limits))
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({detail: `No route for ${request.method} ${request.url.split('?')[0]}`})
  })
}

function sendError(error: FastifyError | KvError, request: FastifyRequest, reply: FastifyReply, limits: ServerLimits): void {
  // An answer given before the body is read (401, 413, 415...): Fastify asks to close the
  // connection, but closing on unread data resets it before the client reads the answer.
  // Read the rest away for a moment instead; a client that keeps on sending is cut off.
  reply.removeHeader('connection')
  discardRestOfBody(request.raw, request.raw.socket)
  if (error instanceof ServerBusyError) {
    void reply.code(503).header('retry-after', String(error.retryAfterSeconds)).send({detail: error.message, hints: error.hints})
    return
  }
  if (error instanceof KvError) {
    if (error.kind === 'unavailable') {
      // Storage trouble names server-side files: the operator's log gets it, the client a summary.
      request.log.error({err: error}, 'storage failure')
      void reply.code(503).send({detail: 'The server cannot use its storage right now; its log has the details.'})
      return
    }
    if (error.kind === 'unauthorized') void reply.header('www-authenticate', 'Bearer')
    // Over a limit here is over the server's limits, which its operator sets: not the client's own
    // (whose advice is to raise them in its config), so the fact says so and the hint names them.
    const tooLarge = error.kind === 'too-large'
    const fact = tooLarge && error.fact ? {...error.fact, code: 'server-limit'} : error.fact
    const hints = tooLarge
      ? [...error.hints, `This server's limits: keys ${limits.maxKeyBytes} bytes, values ${limits.maxValueBytes} bytes, imports ${limits.maxImportBytes} bytes; its operator sets them with "${commandLine('server start')}".`]
      : error.hints
    void reply.code(error.httpStatus).send({detail: error.message, ...(fact ? {fact} : {}), ...(hints.length > 0 ? {hints} : {})})
    return
  }
  const fastifyError = error as FastifyError
  if (fastifyError.validation) {
    const errors: Record<string, string[]> = {}
    for (const problem of fastifyError.validation) {
      const missing = (problem.params as {missingProperty?: string}).missingProperty
      const path = problem.instancePath.split('/').filter(Boolean)
      if (missing) path.push(missing)
      const field = path.length > 0 ? path.join('.') : (fastifyError.validationContext ?? 'body')
      ;(errors[field] ??= []).push(missing ? 'is required' : (problem.message ?? 'is invalid'))
    }
    void reply.code(400).send({title: `The request ${fastifyError.validationContext ?? 'body'} is not valid.`, errors})
    return
  }
  const status = fastifyError.statusCode ?? 500
  if (status === 413) {
    void reply.code(413).send({detail: `The request body is larger than this server's limit for ${request.method} ${request.routeOptions.url ?? 'this route'} (${request.routeOptions.bodyLimit ?? limits.maxRequestBytes} bytes).`})
    return
  }
  if (status >= 400 && status < 500) {
    void reply.code(status).send({detail: fastifyError.message})
    return
  }
  request.log.error({err: error}, 'request failed')
  void reply.code(500).send({detail: 'The server failed to handle the request; its log has the details.'})
}
