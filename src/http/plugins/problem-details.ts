import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { isResponseSerializationError } from 'fastify-type-provider-zod'
import type { FieldError } from '../../core/validation-errors.ts'
import { AppError, isDatabaseUnavailable } from '../../services/errors.ts'
import type { ProblemCode } from '../../services/problem-codes.ts'
import { DISCARD_FACTOR, discardBody } from '../discard-body.ts'

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8'

/** A failed request-part validation, raised by the zod validator compiler. */
export class RequestValidationError extends Error {
  readonly statusCode = 422
  readonly code = 'VALIDATION_FAILED' as const
  constructor(
    readonly errors: FieldError[],
    readonly part: string,
  ) {
    super(`the request ${part === 'body' ? 'body' : part} has invalid fields`)
  }
}

interface ProblemInit {
  status: number
  /** Documented in src/services/problem-codes.ts, where the operations that answer it are named. */
  code: ProblemCode
  title: string
  detail: string
  errors?: (FieldError & { in?: string })[] | undefined
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, p: ProblemInit): FastifyReply {
  return reply
    .code(p.status)
    .type(PROBLEM_CONTENT_TYPE)
    .serializer(JSON.stringify)
    .send({
      type:
        p.status >= 500 && p.code === 'INTERNAL_ERROR'
          ? 'about:blank'
          : `/problems/${p.code.toLowerCase().replaceAll('_', '-')}`,
      title: p.title,
      status: p.status,
      detail: p.detail,
      instance: request.url,
      code: p.code,
      requestId: String(request.id),
      ...(p.errors ? { errors: p.errors } : {}),
    })
}

const FASTIFY_CODES: Record<string, { status: number; code: ProblemCode; title: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    title: 'Unsupported media type',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'MALFORMED_JSON', title: 'Bad request' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'MALFORMED_JSON', title: 'Bad request' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'BAD_CONTENT_LENGTH', title: 'Bad request' },
}

/** Every error leaves as RFC 9457 problem+json with a stable `code` and the request id. */
export const problemDetails = fp(async (app: FastifyInstance) => {
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, {
      status: 404,
      code: 'ROUTE_NOT_FOUND',
      title: 'Not found',
      detail: `no route ${request.method} ${request.url.split('?')[0]}`,
    }),
  )

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof RequestValidationError)
      return sendProblem(request, reply, {
        status: 422,
        code: error.code,
        title: 'Validation failed',
        detail: error.message,
        errors: error.errors.map((e) => ({ ...e, in: error.part })),
      })
    if (error instanceof AppError) {
      if (error.statusCode >= 500) request.log.error({ err: error.cause ?? error }, error.message)
      if (error.headers) reply.headers(error.headers)
      return sendProblem(request, reply, {
        status: error.statusCode,
        code: error.code,
        title: error.title,
        detail: error.message,
        errors: error.errors,
      })
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      void answerTooLarge(app, request, reply)
      return
    }
    const known = error.code ? FASTIFY_CODES[error.code] : undefined
    if (known) return sendProblem(request, reply, { ...known, detail: error.message })
    if (error instanceof SyntaxError && error.statusCode === 400)
      return sendProblem(request, reply, {
        status: 400,
        code: 'MALFORMED_JSON',
        title: 'Bad request',
        detail: error.message,
      })
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error }, 'response did not match its schema')
      return sendProblem(request, reply, {
        status: 500,
        code: 'INTERNAL_ERROR',
        title: 'Internal error',
        detail: 'internal error',
      })
    }
    if (isDatabaseUnavailable(error)) {
      request.log.error({ err: error }, 'database unavailable')
      reply.header('retry-after', '1')
      return sendProblem(request, reply, {
        status: 503,
        code: 'SERVICE_UNAVAILABLE',
        title: 'Service unavailable',
        detail: 'the database is unavailable; retry later',
      })
    }
    const status = error.statusCode ?? 500
    // Any other client error fastify raises (an aborted body, say) is a 400 with a documented code, never
    // fastify's own FST_ERR_… codes, which no client can know.
    if (status >= 400 && status < 500)
      return sendProblem(request, reply, {
        status: 400,
        code: 'BAD_REQUEST',
        title: 'Bad request',
        detail: error.message,
      })
    request.log.error({ err: error }, 'unhandled error')
    return sendProblem(request, reply, {
      status: 500,
      code: 'INTERNAL_ERROR',
      title: 'Internal error',
      detail: 'internal error',
    })
  })
})

/**
 * The 413, sent once the rest of the body is read and dropped (see discard-body.ts), so that a client that
 * writes its whole body before reading gets to read it. Fastify marks the answer `Connection: close`; a
 * body read to its end leaves the connection clean, and it is kept.
 */
async function answerTooLarge(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const limit = request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit ?? 1_048_576
  // Without Content-Length fastify read up to the limit before refusing; with it, nothing.
  const alreadyRead = request.headers['content-length'] === undefined ? limit : 0
  const readToTheEnd = await discardBody(request.raw, DISCARD_FACTOR * limit, alreadyRead)
  if (readToTheEnd) reply.removeHeader('connection')
  sendProblem(request, reply, {
    status: 413,
    code: 'BODY_TOO_LARGE',
    title: 'Payload too large',
    detail: `the body is larger than the limit of ${limit} bytes`,
  })
}
