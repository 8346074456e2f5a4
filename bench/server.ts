/**
 * The server `npm run bench:http` drives: exactly the production app (src/server.ts) plus one
 * baseline route, POST /bench/echo, which parses and validates a screening request with the same zod
 * schema and sends it back. Like every route it passes the security headers, the body checks and the
 * request metrics; unlike /v1 routes it has no API-key check or rate limit, and it answers with fastify's
 * JSON.stringify of the body. The ratio to it is the cost of those checks, of deciding, of the canonical
 * answer and of the audit commit.
 *
 * BENCH_WITHOUT=checkpoints and/or lineFacts (comma-separated) starts a comparison build that leaves those
 * out, so the bench can divide the full service by it in the same run.
 */
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { ScreeningRequestSchema } from '../src/core/screening-request.ts'
import { openRuntime } from '../src/runtime.ts'
import type { LeftOut } from '../src/services/index.ts'

const config = loadConfig()
const leftOut = new Set(
  (process.env.BENCH_WITHOUT ?? '')
    .split(',')
    .filter((part): part is LeftOut => part === 'checkpoints' || part === 'lineFacts'),
)
const runtime = await openRuntime(config, undefined, leftOut)
const app = await buildApp({
  config,
  services: runtime.services,
  extraRoutes: (a) => {
    a.post(
      '/bench/echo',
      { schema: { body: ScreeningRequestSchema, hide: true } },
      async (request) => request.body,
    )
  },
})
const shutdown = async () => {
  await app.close()
  await runtime.close()
  // Exits, rather than waiting for the event loop to empty, so `node --cpu-prof` writes its profile now.
  process.exit(0)
}
process.once('SIGTERM', shutdown)
process.once('SIGINT', shutdown)
await app.listen({ port: config.PORT, host: '127.0.0.1' })
await app.metricsApp.listen({ port: config.METRICS_PORT, host: '127.0.0.1' })
