import { z } from 'zod'
import { ScreeningRequestSchema } from '../../core/screening-request.ts'
import type { Services } from '../../services/index.ts'
import { sendJsonText } from '../json-text.ts'
import { principalOf } from '../plugins/auth.ts'
import { DateTimeQuery, Limit, Page, problemResponses, Uuid } from '../schemas/common.ts'
import { Outcome, ScreeningResponse, ScreeningSummary, StoredScreening } from '../schemas/screening.ts'
import type { App } from '../types.ts'

const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe('same key + same body replays the stored answer; different body → 422; still running → 409'),
})

export async function screeningRoutes(app: App, { screenings }: Services) {
  app.post(
    '/v1/screenings',
    {
      config: { roles: ['screener', 'officer', 'admin'] },
      schema: {
        operationId: 'createScreening',
        tags: ['screening'],
        summary: 'Screen one declaration',
        description:
          'Matches each line’s HS code, CAS numbers, components and description against the active registry. The answer is returned only after its audit event is durably stored; otherwise 503.\n\nLimits: an HS code has at most 20 characters, a CAS number at most 15 after trimming; a declaration carries at most 500 CAS numbers (`casNumbers` and `components` of all lines together; more → 422 `TOO_MANY_CAS` at `/lines`); an answer is at most 30 times the size of its request’s canonical JSON or 64 KiB, whichever is larger (more → 422 `ANSWER_TOO_LARGE`, nothing decided or recorded: split the declaration).',
        headers: IdempotencyHeaders,
        body: ScreeningRequestSchema,
        response: { 200: ScreeningResponse, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { answer, replayed } = await screenings.screen({
        request: request.body,
        actor: principalOf(request),
        requestId: String(request.id),
        idempotencyKey: request.headers['idempotency-key'],
      })
      if (replayed) reply.header('idempotency-replayed', 'true')
      else {
        app.metrics.decisions.inc({ decision: answer.decision })
        app.metrics.lines.inc(answer.lines)
      }
      request.log.info(
        { decision: answer.decision, registryVersion: answer.registryVersion, lines: answer.lines, replayed },
        'screening decided',
      )
      return sendJsonText(reply, answer.body)
    },
  )

  app.get(
    '/v1/screenings',
    {
      config: { roles: ['screener', 'officer', 'auditor', 'admin'] },
      schema: {
        operationId: 'listScreenings',
        tags: ['screening'],
        summary: 'List screenings, newest first (screeners see their own)',
        querystring: z.object({
          decision: Outcome.optional(),
          declarationId: z.string().min(1).max(64).optional().describe('exact; an empty value is refused'),
          from: DateTimeQuery.optional().describe('decided at or after'),
          to: DateTimeQuery.optional().describe('decided before'),
          cursor: Uuid.optional(),
          advisory: z
            .enum(['STRICTER_TODAY'])
            .optional()
            .describe(
              'only screenings with a line carrying this advisory (STRICTER_TODAY: more lenient on its date than today)',
            ),
          limit: Limit,
        }),
        response: { 200: Page(ScreeningSummary), ...problemResponses },
      },
    },
    async (request) => screenings.list(request.query, principalOf(request)),
  )

  app.get(
    '/v1/screenings/:id',
    {
      config: { roles: ['screener', 'officer', 'auditor', 'admin'] },
      schema: {
        operationId: 'getScreening',
        tags: ['screening'],
        summary: 'Read a screening with its final disposition',
        params: z.object({ id: Uuid }),
        response: { 200: StoredScreening, ...problemResponses },
      },
    },
    async (request) => screenings.get(request.params.id, principalOf(request)),
  )

  app.post(
    '/v1/screenings/:id/rescreen',
    {
      config: { roles: ['officer', 'admin'] },
      schema: {
        operationId: 'rescreenScreening',
        tags: ['screening', 'reviews'],
        summary: 'Screen a stored declaration again on the active registry',
        description:
          'Uses the stored request and its as-of date; the new screening links to the old one (`rescreenOf`).',
        params: z.object({ id: Uuid }),
        response: { 200: ScreeningResponse, ...problemResponses },
      },
    },
    async (request, reply) =>
      sendJsonText(
        reply,
        (await screenings.rescreen(request.params.id, principalOf(request), String(request.id))).body,
      ),
  )
}
