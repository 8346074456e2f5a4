import { z } from 'zod'
import type { Services } from '../../services/index.ts'
import { REVIEW_REASON_CODES, REVIEW_REASON_OUTCOMES } from '../../services/review-service.ts'
import { principalOf } from '../plugins/auth.ts'
import { Actor, DateTimeQuery, Limit, Page, problemResponses, Uuid } from '../schemas/common.ts'
import type { App } from '../types.ts'

const ReviewCase = z
  .object({
    id: z.string(),
    screeningId: z.string(),
    declarationId: z.string(),
    status: z.enum(['open', 'resolved']),
    lines: z.array(
      z.object({ lineNo: z.number().int(), reasons: z.array(z.looseObject({ code: z.string() })) }),
    ),
    createdAt: z.string(),
    resolution: z
      .object({
        outcome: z.enum(['ALLOW', 'BLOCK']),
        reasonCode: z.string(),
        note: z.string(),
        decidedBy: Actor,
        decidedAt: z.string(),
        auditSequence: z.number().int().nullable(),
      })
      .nullable(),
  })
  .meta({ id: 'ReviewCase' })

export async function reviewRoutes(app: App, { reviews }: Services) {
  app.get(
    '/v1/reviews',
    {
      config: { roles: ['officer', 'auditor', 'admin'] },
      schema: {
        operationId: 'listReviews',
        tags: ['reviews'],
        summary: 'The review queue, oldest first',
        querystring: z.object({
          status: z.enum(['open', 'resolved']).optional(),
          from: DateTimeQuery.optional().describe('opened at or after'),
          to: DateTimeQuery.optional().describe('opened before'),
          cursor: Uuid.optional(),
          limit: Limit,
        }),
        response: { 200: Page(ReviewCase), ...problemResponses },
      },
    },
    async (request) => reviews.list(request.query),
  )

  app.get(
    '/v1/reviews/:id',
    {
      config: { roles: ['officer', 'auditor', 'admin'] },
      schema: {
        operationId: 'getReview',
        tags: ['reviews'],
        summary: 'One review case with its REVIEW lines and reasons',
        params: z.object({ id: Uuid }),
        response: { 200: ReviewCase, ...problemResponses },
      },
    },
    async (request) => reviews.get(request.params.id),
  )

  app.post(
    '/v1/reviews/:id/resolve',
    {
      config: { roles: ['officer', 'admin'] },
      schema: {
        operationId: 'resolveReview',
        tags: ['reviews'],
        summary: 'Close a review case with a final ALLOW or BLOCK',
        description:
          'Recorded as a `review.resolved` audit event linked to the screening; a second resolution is 409 ' +
          "`REVIEW_ALREADY_RESOLVED`. A review resolves the screening's REVIEW lines only, and the " +
          "resolution becomes the screening's `disposition`, its final outcome: when the screening also has " +
          'BLOCK lines, the declaration stays blocked, so `outcome: ALLOW` is refused with 409 ' +
          '`BLOCK_LINES_STAND` (naming those lines; the case stays open) and only BLOCK closes the case.',
        params: z.object({ id: Uuid }),
        body: z
          .strictObject({
            outcome: z.enum(['ALLOW', 'BLOCK']),
            reasonCode: z.enum(REVIEW_REASON_CODES).describe(
              `must agree with \`outcome\` (else 422 \`REASON_CONTRADICTS_OUTCOME\`): ${Object.entries(
                REVIEW_REASON_OUTCOMES,
              )
                .map(([code, r]) => `\`${code}\` (${r.outcomes.join(' or ')}): ${r.meaning}`)
                .join('; ')}`,
            ),
            note: z
              .string()
              .trim()
              .min(1)
              .max(2000)
              .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters'),
          })
          .superRefine((body, ctx) => {
            const { outcomes } = REVIEW_REASON_OUTCOMES[body.reasonCode]
            if (!outcomes.includes(body.outcome))
              ctx.addIssue({
                code: 'custom',
                path: ['reasonCode'],
                message: `${body.reasonCode} justifies ${outcomes.join(' or ')}, not ${body.outcome}`,
                params: { code: 'REASON_CONTRADICTS_OUTCOME' },
              })
          }),
        response: { 200: ReviewCase, ...problemResponses },
      },
    },
    async (request) =>
      reviews.resolve(
        request.params.id,
        request.body,
        principalOf(request),
        String(request.id),
        request.clientRequestId,
      ),
  )
}
