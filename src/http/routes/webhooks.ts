import { z } from 'zod'
import type { Services } from '../../services/index.ts'
import { principalOf } from '../plugins/auth.ts'
import { Limit, Page, problemResponses, Uuid } from '../schemas/common.ts'
import { Webhook, WebhookDelivery, WebhookInput, WebhookWithSecret } from '../schemas/webhook.ts'
import type { App } from '../types.ts'

export async function webhookRoutes(app: App, { webhooks }: Services) {
  app.post(
    '/v1/webhooks',
    {
      config: { roles: ['admin'] },
      schema: {
        operationId: 'createWebhook',
        tags: ['events'],
        summary: 'Subscribe a URL to an organisation’s events; the secret is shown once',
        body: WebhookInput,
        response: { 201: WebhookWithSecret, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { subscription, secret } = await webhooks.create(
        request.body,
        principalOf(request),
        String(request.id),
      )
      reply.header('cache-control', 'no-store')
      return reply.code(201).send({ ...subscription, secret })
    },
  )

  app.get(
    '/v1/webhooks',
    {
      config: { roles: ['admin'] },
      schema: {
        operationId: 'listWebhooks',
        tags: ['events'],
        summary: 'Webhook subscriptions (never their secrets)',
        response: { 200: z.object({ items: z.array(Webhook), nextCursor: z.null() }), ...problemResponses },
      },
    },
    async () => ({ items: await webhooks.list(), nextCursor: null }),
  )

  app.get(
    '/v1/webhooks/:id',
    {
      config: { roles: ['admin'] },
      schema: {
        operationId: 'getWebhook',
        tags: ['events'],
        summary: 'One webhook subscription',
        params: z.object({ id: Uuid }),
        response: { 200: Webhook, ...problemResponses },
      },
    },
    async (request) => webhooks.get(request.params.id),
  )

  app.delete(
    '/v1/webhooks/:id',
    {
      config: { roles: ['admin'] },
      schema: {
        operationId: 'deleteWebhook',
        tags: ['events'],
        summary: 'Delete a webhook subscription and its deliveries',
        params: z.object({ id: Uuid }),
        response: { 200: Webhook, ...problemResponses },
      },
    },
    async (request) => webhooks.delete(request.params.id, principalOf(request), String(request.id)),
  )

  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      config: { roles: ['admin'] },
      schema: {
        operationId: 'listWebhookDeliveries',
        tags: ['events'],
        summary: 'A subscription’s deliveries, newest first, with every attempt',
        params: z.object({ id: Uuid }),
        querystring: z.object({ cursor: Uuid.optional(), limit: Limit }),
        response: { 200: Page(WebhookDelivery), ...problemResponses },
      },
    },
    async (request) => webhooks.deliveries(request.params.id, request.query),
  )
}
