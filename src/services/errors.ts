import type { FieldError } from '../core/validation-errors.ts'
import { isConnectFailure } from '../db/connect-failure.ts'
import type { ProblemCode } from './problem-codes.ts'

/** An error with an HTTP meaning; the problem+json handler renders it. */
export class AppError extends Error {
  readonly statusCode: number
  readonly code: ProblemCode
  readonly title: string
  readonly errors: FieldError[] | undefined
  readonly headers: Record<string, string> | undefined

  constructor(
    statusCode: number,
    code: ProblemCode,
    detail: string,
    options: {
      title?: string
      errors?: FieldError[]
      headers?: Record<string, string>
      cause?: unknown
    } = {},
  ) {
    super(detail, { cause: options.cause })
    this.name = 'AppError'
    this.statusCode = statusCode
    this.code = code
    this.title = options.title ?? code.toLowerCase().replaceAll('_', ' ')
    this.errors = options.errors
    this.headers = options.headers
  }
}

export const notFound = (what: string) =>
  new AppError(404, 'NOT_FOUND', `${what} not found`, { title: 'Not found' })

export const validationFailed = (errors: FieldError[], detail = 'the request has invalid fields') =>
  new AppError(422, 'VALIDATION_FAILED', detail, { title: 'Validation failed', errors })

/** The database did not answer or refused a write: the client may retry later. */
export const unavailable = (detail: string, cause?: unknown) =>
  new AppError(503, 'SERVICE_UNAVAILABLE', detail, {
    title: 'Service unavailable',
    headers: { 'retry-after': '1' },
    cause,
  })

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  '57P01',
  '57P02',
  '57P03',
  '53300',
])

/** True when an error means the database could not be reached, rather than that a query was wrong. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (
    let e = err as { code?: unknown; message?: unknown; cause?: unknown } | null;
    e;
    e = e.cause as typeof e
  ) {
    if (isConnectFailure(e)) return true
    const code = typeof e.code === 'string' ? e.code : ''
    if (CONNECTION_CODES.has(code) || code.startsWith('08')) return true
    const message = typeof e.message === 'string' ? e.message : ''
    if (
      /PGlite is closed|Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|pool after calling end/i.test(
        message,
      )
    )
      return true
  }
  return false
}
