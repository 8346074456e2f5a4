import rateLimit from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import helmet from 'helmet'
import type { Config } from '../../config.ts'
import { AppError } from '../../services/errors.ts'

/** Security headers, per-key rate limits and load shedding. */
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

  await app.register(rateLimit, {
    global: true,
    max: opts.config.RATE_LIMIT_MAX,
    timeWindow: opts.config.RATE_LIMIT_WINDOW_MS,
    // After authentication, so the limit follows the API key rather than a shared NAT address.
    hook: 'preHandler',
    keyGenerator: (request) => request.principal?.keyId ?? request.ip,
    allowList: (request) => !request.url.startsWith('/v1/'),
    errorResponseBuilder: (_request, context) =>
      new AppError(
        429,
        'RATE_LIMITED',
        `rate limit of ${context.max} requests per ${context.after} reached`,
        {
          title: 'Too many requests',
        },
      ),
  })

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
