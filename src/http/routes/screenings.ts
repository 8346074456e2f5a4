import type { FastifyRequest } from 'fastify'
import { z } from 'zod'
import { readDecMessage } from '../../core/dec-message.ts'
import { ScreeningRequestSchema } from '../../core/screening-request.ts'
import { AppError } from '../../services/errors.ts'
import type { Services } from '../../services/index.ts'
import { sendJsonText } from '../json-text.ts'
import { principalOf } from '../plugins/auth.ts'
import { RequestValidationError } from '../plugins/problem-details.ts'
import { DateTimeQuery, Limit, Page, problemResponses, Uuid } from '../schemas/common.ts'
import { Outcome, ScreeningResponse, ScreeningSummary, StoredScreening } from '../schemas/screening.ts'
import type { App } from '../types.ts'
import { validatorCompiler } from '../validation.ts'

const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe('same key + same body replays the stored answer; different body → 422; still running → 409'),
})

/** The media types of a DecMessage body (screening contract §7). */
export const XML_MEDIA_TYPES = ['application/xml', 'text/xml'] as const

/** A short DecMessage, as Swagger UI offers it for the XML media types. */
export const DEC_MESSAGE_EXAMPLE = `<?xml version="1.0" encoding="UTF-8"?>
<DecMessage xmlns="http://www.chinaport.gov.cn/dec" version="3.1">
  <DecHead>
    <SeqNo>200000000223456780</SeqNo>
    <EntryId></EntryId>
    <IEFlag>I</IEFlag>
    <IEDate>20261128</IEDate>
    <CustomMaster>7201</CustomMaster>
    <TradeCountry>VNM</TradeCountry>
    <TradeMode>0110</TradeMode>
    <TradeCoScc>91450100MA5K000000</TradeCoScc>
    <TradeName>南宁市某塑胶制品有限公司</TradeName>
  </DecHead>
  <DecLists>
    <DecList>
      <GNo>1</GNo>
      <CodeTS>3824890000</CodeTS>
      <CiqCode>999</CiqCode>
      <GName>含短链氯化石蜡的混合物</GName>
      <GModel>0|0|PVC增塑剂|氯化石蜡55%，矿物油44.5%|无品牌|CP-52|85535-85-9</GModel>
      <Stuff>氯化石蜡(85535-85-9)55%，短链氯化石蜡(85535-84-8)0.5%，其余为矿物油</Stuff>
      <GQty>20000</GQty>
      <GUnit>035</GUnit>
      <DeclTotal>37000</DeclTotal>
      <TradeCurr>USD</TradeCurr>
    </DecList>
  </DecLists>
  <DecSign><ClientSeqNo>GXDM20261128001</ClientSeqNo></DecSign>
</DecMessage>
`

const DEC_MESSAGE_BODY = {
  type: 'string',
  description:
    'A Single Window declaration message (报关单 DecMessage), namespace http://www.chinaport.gov.cn/dec or none, with or without a prefix. UTF-8 (with or without BOM), or GBK/GB2312/GB18030 when the XML declaration says so; a `charset` parameter must agree with it. No DOCTYPE or ENTITY declarations; at most 50 DecList; nesting at most 32 deep. Mapping and extraction rules: dec-message.md §4–§5. Each answered line adds `extracted`.',
  examples: [DEC_MESSAGE_EXAMPLE],
}

/**
 * OpenAPI: the screening operation's body is JSON or a DecMessage. The zod schema describes the JSON;
 * the XML media types are added beside it (fastify-type-provider-zod does not transform per-type bodies).
 */
export function withDecMessageBody<T extends { schema: unknown }>(transformed: T): T {
  const schema = transformed.schema as { operationId?: string; body?: unknown } | undefined
  if (schema?.operationId !== 'createScreening' || !schema.body) return transformed
  return {
    ...transformed,
    schema: {
      ...schema,
      body: {
        content: {
          'application/json': { schema: schema.body },
          // A copy per media type: @fastify/swagger moves `examples` out of the schema it is given.
          ...Object.fromEntries(
            XML_MEDIA_TYPES.map((type) => [
              type,
              { schema: { ...DEC_MESSAGE_BODY, examples: [DEC_MESSAGE_EXAMPLE] } },
            ]),
          ),
        },
      },
    },
  }
}

/**
 * A DecMessage body as fastify hands it over: the raw bytes, decoded only once the caller is authenticated
 * and per the message's own XML declaration.
 */
function readMessageBody(request: FastifyRequest, body: Buffer) {
  const charset = request.headers['content-type']?.match(/;\s*charset=([^;]*)/i)?.[1]
  const read = readDecMessage(body, charset)
  if (read.ok) return read
  if (read.status === 422 && read.errors) throw new RequestValidationError(read.errors, 'body')
  throw new AppError(read.status, read.code, read.detail, {
    title: read.status === 415 ? 'Unsupported media type' : 'Bad request',
  })
}

export async function screeningRoutes(app: App, services: Services) {
  // Encapsulated so that only this route parses XML; elsewhere an XML body stays a 415.
  await app.register(async (scope) => createScreeningRoute(scope as App, services))
  await otherScreeningRoutes(app, services)
}

async function createScreeningRoute(app: App, { screenings }: Services) {
  app.addContentTypeParser([...XML_MEDIA_TYPES], { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  )
  app.post(
    '/v1/screenings',
    {
      config: { roles: ['screener', 'officer', 'admin'] },
      // The zod schema is the JSON body's; a DecMessage arrives as bytes and is validated as XML.
      validatorCompiler: (route) => {
        const validate = validatorCompiler(route as unknown as Parameters<typeof validatorCompiler>[0])
        return route.httpPart === 'body'
          ? (data) => (Buffer.isBuffer(data) ? { value: data } : validate(data))
          : validate
      },
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
      const body: unknown = request.body
      const dec = Buffer.isBuffer(body) ? readMessageBody(request, body) : null
      const { answer, replayed } = await screenings.screen({
        request: dec ? dec.request : request.body,
        actor: principalOf(request),
        requestId: String(request.id),
        clientRequestId: request.clientRequestId,
        idempotencyKey: request.headers['idempotency-key'],
        decMessage: dec ? { message: dec.message, extracted: dec.extracted } : undefined,
      })
      if (replayed) reply.header('idempotency-replayed', 'true')
      else {
        app.metrics.decisions.inc({ decision: answer.decision })
        app.metrics.lines.inc(answer.lines)
      }
      request.log.info(
        {
          ...(dec ? { format: 'DecMessage', encoding: dec.message.encoding } : {}),
          decision: answer.decision,
          registryVersion: answer.registryVersion,
          lines: answer.lines,
          replayed,
        },
        'screening decided',
      )
      return sendJsonText(reply, answer.body)
    },
  )
}

async function otherScreeningRoutes(app: App, { screenings }: Services) {
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
        (
          await screenings.rescreen(
            request.params.id,
            principalOf(request),
            String(request.id),
            request.clientRequestId,
          )
        ).body,
      ),
  )
}
