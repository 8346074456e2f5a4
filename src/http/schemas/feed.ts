import { z } from 'zod'
import { CURSOR_PATTERN, FEED_EVENT_TYPES } from '../../services/event-feed.ts'

export const FeedEventType = z.enum(FEED_EVENT_TYPES).meta({ id: 'FeedEventType' })

export const FeedEvent = z
  .object({
    id: z.string().describe('unique and stable; also the cursor that continues after this event (`after`)'),
    type: FeedEventType,
    at: z.string().describe('when it happened (a screening’s `decidedAt`, a resolution’s time)'),
    screeningId: z.string().nullable().describe('null for `registry.activated`'),
    declarationId: z.string().nullable(),
    reviewId: z.string().nullable().describe('the review case (`review.opened`, `review.resolved`)'),
    decision: z
      .string()
      .nullable()
      .describe(
        'the screening’s decision; REVIEW for `review.opened`; the officer’s outcome for `review.resolved`',
      ),
    registryVersion: z.string().nullable(),
    rescreenOf: z.string().nullable().describe('`screening.rescreened`: the screening it screened again'),
    organisation: z
      .string()
      .nullable()
      .describe('whose screening it reports; null for events every organisation sees'),
    auditSequence: z.number().int().describe('the audit event recording the same change'),
  })
  .meta({ id: 'FeedEvent', description: 'One event of the feed (contract §11); members may be added' })

export const FeedPage = z
  .object({
    items: z.array(FeedEvent),
    nextCursor: z
      .string()
      .describe(
        'never null: pass as `after` to continue, even when `items` is empty (then poll again later)',
      ),
  })
  .meta({ id: 'FeedPage' })

export const FeedCursor = z
  .string()
  .regex(CURSOR_PATTERN, 'an event id or a nextCursor of this feed, e.g. 0-0')
