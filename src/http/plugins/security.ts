import rateLimit from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import helmet from 'helmet'
import type { Config } from '../../config.ts'
import { AppError } from '../../services/errors.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Counts the request against its API key's limit (429 above it); called once the key is known. */
    limitPerKey(request: FastifyRequest, reply: FastifyReply): Promise<void>
  }
}

type Limiter = (request: FastifyRequest) => Promise<{
  isAllowed: boolean
  isExceeded?: boolean
  max?: number
  remaining?: number
  ttlInSeconds?: number
  timeWindow?: number
}>

/** Routes outside every limit: probes must answer whatever a client does. */
const unlimited = (request: FastifyRequest) => request.routeOptions.url?.startsWith('/health/') === true

async function enforce(limiter: Limiter, request: FastifyRequest, reply: FastifyReply, what: string) {
  const result = await limiter(request)
  if (result.isAllowed) return
  reply.header('x-ratelimit-limit', result.max)
  reply.header('x-ratelimit-remaining', result.remaining)
  reply.header('x-ratelimit-reset', result.ttlInSeconds)
  if (result.isExceeded)
    throw new AppError(
      429,
      'RATE_LIMITED',
      `rate limit of ${result.max} requests ${what} per ${(result.timeWindow ?? 0) / 1000} s reached`,
      { title: 'Too many requests', headers: { 'retry-after': String(result.ttlInSeconds) } },
    )
}

/**
 * Security headers on every answer, a per-IP limit before anything else is decided, the per-key limit
 * for after authentication, and load shedding. Registered first, so 401, 403, 415 and 429 answers carry
 * the headers and are counted too.
 */
export const security = fp(async (app: FastifyInstance, opts: { config: Config }) => {
  // helmet itself, built once: @fastify/helmet rebuilds the middleware (and re-parses the CSP) on every
  // request, which cost 4% of a screening's CPU. Swagger UI sets its own policy on /docs (staticCSP);
  // API answers are JSON and need no scripts.
  const headers = helmet({
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  })
  app.addHook('onRequest', (request, reply, done) => {
    headers(request.raw, reply.raw, (err) => done(err as Error | undefined))
  })

  // The plugin for its store and limiter factory only: which limit applies is decided here from the
  // matched route, never from the raw URL (an absolute-form request line `GET http://host/v1/…` is
  // routed like `/v1/…` but did not start with `/v1/`).
  await app.register(rateLimit, { global: false })
  const { RATE_LIMIT_MAX, RATE_LIMIT_IP_MAX, RATE_LIMIT_WINDOW_MS } = opts.config
  const perIp = app.createRateLimit({
    max: RATE_LIMIT_IP_MAX,
    timeWindow: RATE_LIMIT_WINDOW_MS,
    keyGenerator: (request) => request.ip,
  }) as Limiter
  const perKey = app.createRateLimit({
    max: RATE_LIMIT_MAX,
    timeWindow: RATE_LIMIT_WINDOW_MS,
    keyGenerator: (request) => `key:${request.principal?.keyId ?? request.ip}`,
  }) as Limiter
  // Before authentication and every other check: refused requests (401, 400, 415, 404…) count too.
  app.addHook('onRequest', async (request, reply) => {
    if (!unlimited(request)) await enforce(perIp, request, reply, 'per IP address')
  })
  app.decorate('limitPerKey', (request: FastifyRequest, reply: FastifyReply) =>
    enforce(perKey, request, reply, 'per API key'),
  )

  await app.register(underPressure, {
    maxEventLoopDelay: opts.config.MAX_EVENT_LOOP_DELAY_MS,
    retryAfter: 5,
    exposeStatusRoute: false,
    pressureHandler: (_request, reply, type, value) => {
      reply.header('retry-after', '5')
      throw new AppError(503, 'OVERLOADED', `server under pressure (${type}: ${value}); retry later`, {
        title: 'Service unavailable',
        headers: { 'retry-after': '5' },
      })
    },
  })
})
