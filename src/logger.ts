import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyServerOptions } from 'fastify'
import pino from 'pino'
import type { Config } from './config.ts'

/** Paths whose values never reach a log line: API keys travel in Authorization. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  '*.authorization',
  '*.secret',
  '*.apiKey',
  'secret',
]

/** Members of database errors that carry data: query parameters (other callers' declarations) and key values. */
const DATA_MEMBERS = new Set(['params', 'query', 'detail', 'where', 'cause'])

/**
 * An error as logged, without the data it may carry: drizzle's failed-query error spells out every
 * parameter (a batch's parameters are other screeners' declarations) in its message and stack, and
 * PostgreSQL's `detail` names the values of a violated key. The SQL text stays (shortened): it has only
 * placeholders.
 */
function withoutData(err: Error, depth = 0): Error {
  const failedQuery = 'params' in err && 'query' in err && err.message.startsWith('Failed query:')
  const message = failedQuery ? `Failed query: ${String(err.query).slice(0, 300)}` : err.message
  const copy = new Error(message)
  copy.name = err.name
  copy.stack = err.stack?.replace(err.message, message)
  const fields = copy as unknown as Record<string, unknown>
  for (const [key, value] of Object.entries(err)) if (!DATA_MEMBERS.has(key)) fields[key] = value
  if (err.cause instanceof Error && depth < 8) copy.cause = withoutData(err.cause, depth + 1)
  return copy
}

/** pino serializers: errors never log query parameters (see withoutData). */
export const LOG_SERIALIZERS = {
  err: (err: Error) => pino.stdSerializers.err(err instanceof Error ? withoutData(err) : err),
}

export function loggerOptions(config: Pick<Config, 'LOG_LEVEL'>): FastifyServerOptions['logger'] {
  return {
    level: config.LOG_LEVEL,
    serializers: LOG_SERIALIZERS,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    ...(process.stdout.isTTY && config.LOG_LEVEL !== 'silent'
      ? { transport: { target: 'pino-pretty' } }
      : {}),
  }
}

const INBOUND_ID = /^[A-Za-z0-9._:-]{8,64}$/

/**
 * The request's id: always this server's own UUID (logs, problems, X-Request-Id, the audit `requestId`). A
 * caller's X-Request-Id is kept apart (`clientRequestIdOf`): it used to become the id, so a caller chose
 * the audit trail's request ids, the same one for many requests if it liked.
 */
export function genReqId(_req: IncomingMessage): string {
  return randomUUID()
}

/** A caller's well-formed X-Request-Id, kept for correlation as `clientRequestId`; otherwise null. */
export function clientRequestIdOf(req: IncomingMessage): string | null {
  const inbound = req.headers['x-request-id']
  return typeof inbound === 'string' && INBOUND_ID.test(inbound) ? inbound : null
}
