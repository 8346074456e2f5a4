import { z } from 'zod'
import { FEED_START, feedPage, parseCursor } from '../../services/event-feed.ts'
import type { Services } from '../../services/index.ts'
import { callerOf } from '../plugins/auth.ts'
import { Limit, problemResponses } from '../schemas/common.ts'
import { FeedCursor, FeedPage } from '../schemas/feed.ts'
import type { App } from '../types.ts'

export async function eventRoutes(app: App, { database }: Services) {
  app.get(
    '/v1/events',
    {
      config: { roles: ['screener', 'officer', 'auditor', 'admin'] },
      schema: {
        operationId: 'listEvents',
        tags: ['events'],
        summary: 'The event feed, in commit order',
        querystring: z.object({
          after: FeedCursor.optional().describe(
            'continue after this event id or nextCursor; absent: from the start',
          ),
          limit: Limit,
        }),
        response: { 200: FeedPage, ...problemResponses },
      },
    },
    async (request) => {
      const { principal, organisation } = callerOf(request)
      return feedPage(database.db, {
        after: request.query.after === undefined ? FEED_START : parseCursor(request.query.after)!,
        limit: request.query.limit,
        organisation: principal.role === 'screener' ? organisation : null,
      })
    },
  )
}
