import { z } from 'zod'
import { ORGANISATION_MAX } from '../../services/key-service.ts'
import { Actor } from './common.ts'
import { FeedEventType } from './feed.ts'

/** Only http(s): a webhook is an HTTP POST, and no other scheme (file:, ftp:, javascript:) is fetched. */
function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== ''
  } catch {
    return false
  }
}

export const WebhookInput = z.strictObject({
  url: z
    .string()
    .max(2048)
    .refine(isHttpUrl, {
      message: 'must be an absolute http:// or https:// URL',
      params: { code: 'UNSUPPORTED_URL' },
    })
    .describe('where each event is POSTed; http:// or https:// only'),
  events: z.array(FeedEventType).min(1).max(5).describe('the event types to send'),
  organisation: z
    .string()
    .trim()
    .min(1)
    .max(ORGANISATION_MAX)
    .refine((s) => !/\p{Cc}/u.test(s), 'must not contain control characters')
    .describe('whose events: this organisation’s, and those every organisation sees (`registry.activated`)'),
})

export const Webhook = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(FeedEventType),
    organisation: z.string(),
    createdAt: z.string(),
    createdBy: Actor,
  })
  .meta({ id: 'Webhook', description: 'A webhook subscription (never its secret after creation)' })

export const WebhookWithSecret = Webhook.extend({
  secret: z.string().describe('the HMAC-SHA256 key of `Popscreen-Signature`; shown in this answer only'),
}).meta({ id: 'WebhookWithSecret' })

export const WebhookAttempt = z
  .object({
    attempt: z.number().int(),
    at: z.string(),
    durationMs: z.number().int(),
    statusCode: z.number().int().nullable().describe('null when no answer came (refused, timed out)'),
    error: z.string().nullable().describe('why the attempt failed; null when it was answered 2xx'),
  })
  .meta({ id: 'WebhookAttempt' })

export const WebhookDelivery = z
  .object({
    id: z.string(),
    eventId: z.string().describe('the feed event’s id'),
    eventType: FeedEventType,
    status: z.enum(['pending', 'delivered']),
    createdAt: z.string(),
    deliveredAt: z.string().nullable(),
    nextAttemptAt: z.string().nullable().describe('when the next attempt is due; null once delivered'),
    attempts: z.array(WebhookAttempt).describe('every attempt, first first'),
  })
  .meta({ id: 'WebhookDelivery' })
