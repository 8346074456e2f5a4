import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client'
import type { BatchListener } from '../../services/group-commit.ts'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: { decisions: Counter<'decision'>; lines: Counter; registry: Registry }
  }
}

/** What /metrics needs of the audit writer: to be told of each committed batch. */
export interface AuditWriterMetrics {
  onBatch(listener: BatchListener): () => void
}

/**
 * Prometheus metrics, collected here and served by `metricsApp` on a listener of its own (METRICS_PORT on
 * METRICS_HOST, loopback by default): they are not authenticated, and the API's port is published.
 */
export const metrics = fp(async (app: FastifyInstance, opts: { audit: AuditWriterMetrics }) => {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  const decisions = new Counter({
    name: 'screening_decisions_total',
    help: 'Declarations screened, by decision',
    labelNames: ['decision'],
    registers: [registry],
  })
  const lines = new Counter({
    name: 'screening_lines_total',
    help: 'Declaration lines screened',
    registers: [registry],
  })
  // The audit writer's batches: batch size and flush time follow from the totals' ratios.
  const counter = (name: string, help: string) => new Counter({ name, help, registers: [registry] })
  const batches = counter('audit_batches_total', 'Audit batches committed (one transaction each)')
  const events = counter('audit_events_total', 'Audit events committed through batches')
  const seconds = counter(
    'audit_batch_seconds_total',
    'Time spent sealing, writing and committing the committed batches',
  )
  // Every screening waits for its batch's commit, so a slow WAL flush on the database host shows here
  // first: the tail of this histogram is the tail of screening latency.
  const batchDuration = new Histogram({
    name: 'audit_batch_duration_seconds',
    help: 'Time to seal, write and commit one audit batch',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  const unsubscribe = opts.audit.onBatch((n, s) => {
    batches.inc()
    events.inc(n)
    seconds.inc(s)
    batchDuration.observe(s)
  })
  app.addHook('onClose', async () => unsubscribe())
  app.decorate('metrics', { decisions, lines, registry })

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url
    if (!route || route === '/metrics' || route.startsWith('/health')) return
    duration.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    )
  })
})

/** The metrics listener's application: GET /metrics and nothing else (any other path is 404). */
export async function metricsApp(registry: Registry): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  app.get('/metrics', async (_request, reply) => {
    reply.type(registry.contentType)
    return registry.metrics()
  })
  await app.ready()
  return app
}
