import { z } from 'zod'
import type { Services } from '../../services/index.ts'
import { sendProblem } from '../plugins/problem-details.ts'
import { Problem } from '../schemas/common.ts'
import type { App } from '../types.ts'

export async function healthRoutes(app: App, { database, registry }: Services, state: { draining: boolean }) {
  app.get(
    '/health/live',
    {
      schema: {
        operationId: 'live',
        tags: ['operations'],
        summary: 'The process is running',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/health/ready',
    {
      schema: {
        operationId: 'ready',
        tags: ['operations'],
        summary: 'The database answers and a registry version is active',
        response: {
          200: z.object({ status: z.literal('ok'), registryVersion: z.string(), database: z.string() }),
          503: Problem.describe(
            'not ready: shutting down, the database does not answer, or no registry version is active',
          ),
        },
      },
    },
    async (request, reply) => {
      // Retry-After like every other 503: a load balancer or a script polling readiness knows when to ask again.
      const unready = (detail: string) =>
        sendProblem(request, reply.header('retry-after', '1'), {
          status: 503,
          code: 'NOT_READY',
          title: 'Service unavailable',
          detail,
        })
      if (state.draining) return unready('shutting down')
      try {
        await database.ping()
      } catch {
        return unready('database does not answer')
      }
      const snapshot = registry.current()
      if (!snapshot) return unready('no registry version is active')
      return { status: 'ok' as const, registryVersion: snapshot.version, database: database.driver }
    },
  )
}
