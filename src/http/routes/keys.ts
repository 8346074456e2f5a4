import { z } from 'zod'
import { ROLES } from '../../services/actor.ts'
import type { Services } from '../../services/index.ts'
import { principalOf } from '../plugins/auth.ts'
import { problemResponses, Uuid } from '../schemas/common.ts'
import type { App } from '../types.ts'

const Key = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    prefix: z.string().describe('first characters of the secret, to tell keys apart'),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' })

export async function keyRoutes(app: App, { keys }: Services) {
  app.get(
    '/v1/keys',
    {
      config: { roles: ['admin'] },
      schema: {
        operationId: 'listKeys',
        tags: ['keys'],
        summary: 'API keys (never their secrets)',
        response: { 200: z.object({ items: z.array(Key), nextCursor: z.null() }), ...problemResponses },
      },
    },
    async () => ({ items: await keys.list(), nextCursor: null }),
  )

  app.post(
    '/v1/keys',
    {
      config: { roles: ['admin'] },
      schema: {
        operationId: 'createKey',
        tags: ['keys'],
        summary: 'Create an API key; its secret is shown once',
        body: z.strictObject({ role: z.enum(ROLES), name: z.string().trim().min(1).max(100) }),
        response: { 201: Key.extend({ secret: z.string() }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const { key, secret } = await keys.create(
        request.body.role,
        request.body.name,
        principalOf(request),
        String(request.id),
        undefined,
        request.clientRequestId,
      )
      reply.header('cache-control', 'no-store')
      return reply.code(201).send({ ...key, secret })
    },
  )

  app.post(
    '/v1/keys/:id/revoke',
    {
      config: { roles: ['admin'] },
      schema: {
        operationId: 'revokeKey',
        tags: ['keys'],
        summary: 'Revoke an API key at once',
        params: z.object({ id: Uuid }),
        response: { 200: Key, ...problemResponses },
      },
    },
    async (request) =>
      keys.revoke(request.params.id, principalOf(request), String(request.id), request.clientRequestId),
  )
}
