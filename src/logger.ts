import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyServerOptions } from 'fastify'
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

export function loggerOptions(config: Pick<Config, 'LOG_LEVEL'>): FastifyServerOptions['logger'] {
  return {
    level: config.LOG_LEVEL,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    ...(process.stdout.isTTY && config.LOG_LEVEL !== 'silent'
      ? { transport: { target: 'pino-pretty' } }
      : {}),
  }
}

const INBOUND_ID = /^[A-Za-z0-9._:-]{8,64}$/

/** Keeps a caller's well-formed X-Request-Id for correlation; otherwise a fresh UUID. */
export function genReqId(req: IncomingMessage): string {
  const inbound = req.headers['x-request-id']
  return typeof inbound === 'string' && INBOUND_ID.test(inbound) ? inbound : randomUUID()
}
