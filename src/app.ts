import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Config } from './config.ts'
import { LongReads } from './http/long-reads.ts'
import { auth } from './http/plugins/auth.ts'
import { docs } from './http/plugins/docs.ts'
import { metrics, metricsApp } from './http/plugins/metrics.ts'
import { problemDetails, sendProblem } from './http/plugins/problem-details.ts'
import { requestEncoding } from './http/plugins/request-encoding.ts'
import { security } from './http/plugins/security.ts'
import { auditRoutes } from './http/routes/audit.ts'
import { healthRoutes } from './http/routes/health.ts'
import { keyRoutes } from './http/routes/keys.ts'
import { registryRoutes } from './http/routes/registry.ts'
import { reportRoutes } from './http/routes/reports.ts'
import { reviewRoutes } from './http/routes/reviews.ts'
import { screeningRoutes } from './http/routes/screenings.ts'
import type { App } from './http/types.ts'
import { serializerCompiler, validatorCompiler } from './http/validation.ts'
import { clientRequestIdOf, genReqId, loggerOptions } from './logger.ts'
import type { Services } from './services/index.ts'

export interface AppOptions {
  config: Config
  services: Services
  /** A ready pino instance (tests capture logs with it); otherwise the logger is built from config. */
  loggerInstance?: FastifyBaseLogger | undefined
  /** Routes registered after the application's own, before it is sealed (the HTTP benchmark's baseline). */
  extraRoutes?: ((app: App) => Promise<void> | void) | undefined
}

/** The whole HTTP application, in registration order, without listening. */
export async function buildApp({
  config,
  services,
  loggerInstance,
  extraRoutes,
}: AppOptions): Promise<App & { drain(): void; metricsApp: FastifyInstance }> {
  const app = Fastify({
    ...(loggerInstance ? { loggerInstance } : { logger: loggerOptions(config) }),
    genReqId,
    bodyLimit: config.BODY_LIMIT_BYTES,
    connectionTimeout: 30_000,
    requestTimeout: 60_000,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    ajv: undefined,
    // A URL fastify cannot route (`/v1/screenings/%zz`, an over-long parameter) is answered before any hook
    // runs; it still gets problem+json with its request id.
    frameworkErrors: (error, request, reply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      reply.header('x-request-id', request.id)
      sendProblem(request, reply, {
        status: tooLong ? 414 : 400,
        code: tooLong ? 'URI_TOO_LONG' : 'BAD_URL',
        title: tooLong ? 'URI too long' : 'Bad request',
        detail: tooLong ? 'a path parameter is longer than 100 characters' : error.message,
      })
    },
  }).withTypeProvider() as unknown as App
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)

  app.decorate('longReads', new LongReads(config.EXPORT_CONCURRENCY, config.EXPORT_MIN_BYTES_PER_SECOND))
  const state = { draining: false }
  app.decorateRequest('clientRequestId', null)
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
    const clientRequestId = clientRequestIdOf(request.raw)
    if (clientRequestId) {
      request.clientRequestId = clientRequestId
      // Both ids on every log line of the request: the caller finds its own, support the server's.
      // (the reply's logger writes "request completed": it was made from the request's before this hook)
      request.log = request.log.child({ clientRequestId })
      reply.log = request.log
    }
  })

  // Security first: its headers and per-IP limit apply to every answer, the refusals below included.
  await app.register(security, { config })
  await app.register(problemDetails)
  await app.register(requestEncoding)
  await app.register(metrics, { audit: services.committer })
  await app.register(docs)
  await app.register(auth, { keys: services.keys, afterAuthentication: app.limitPerKey })

  await healthRoutes(app, services, state)
  await screeningRoutes(app, services)
  await reviewRoutes(app, services)
  await registryRoutes(app, services)
  await auditRoutes(app, services)
  await reportRoutes(app, services)
  await keyRoutes(app, services)
  await extraRoutes?.(app)

  // /metrics is served apart, on METRICS_PORT (see metrics.ts); the server process makes it listen.
  const metricsListener = await metricsApp(app.metrics.registry)
  app.addHook('onClose', async () => {
    state.draining = true
    await metricsListener.close()
    await services.committer.close()
  })
  await app.ready()
  // Fails at start-up, not on the first /docs visit, when a schema cannot be rendered as OpenAPI.
  app.swagger()
  return Object.assign(app, {
    metricsApp: metricsListener,
    drain: () => {
      state.draining = true
    },
  })
}
