import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { stringify } from 'csv-stringify'
import { z } from 'zod'
import { type AuditEvent, ChainVerifier } from '../../core/audit-chain.ts'
import { eventBefore, readEvents } from '../../services/audit-log.ts'
import type { Services } from '../../services/index.ts'
import { DateTimeQuery, problemResponses } from '../schemas/common.ts'
import type { App } from '../types.ts'

export const CSV_COLUMNS = [
  'sequence',
  'at',
  'action',
  'actor_key_id',
  'actor_name',
  'actor_role',
  'subject',
  'decision',
  'registry_version',
  'request_id',
  'prev_hash',
  'hash',
  'payload',
] as const

function csvRow(e: AuditEvent): unknown[] {
  return [
    e.sequence,
    e.at,
    e.action,
    e.actor.keyId ?? '',
    e.actor.name,
    e.actor.role,
    JSON.stringify(e.subject),
    e.decision ?? '',
    e.registryVersion ?? '',
    e.requestId ?? '',
    e.prevHash,
    e.hash,
    JSON.stringify(e.payload),
  ]
}

const Filter = z.object({
  from: DateTimeQuery.optional().describe('events at or after'),
  to: DateTimeQuery.optional().describe('events before'),
  action: z
    .enum([
      'screening.created',
      'review.resolved',
      'registry.imported',
      'registry.activated',
      'key.created',
      'key.revoked',
    ])
    .optional(),
  decision: z.enum(['ALLOW', 'REVIEW', 'BLOCK']).optional(),
})

export async function auditRoutes(app: App, { database }: Services) {
  app.get(
    '/v1/audit/events',
    {
      config: { roles: ['auditor', 'admin'] },
      schema: {
        operationId: 'exportAuditEvents',
        tags: ['audit'],
        summary: 'Stream audit events as NDJSON or CSV',
        description: `NDJSON: one event per line exactly as hashed (verifiable offline with \`npm run --silent cli -- audit verify file.ndjson\`). CSV: UTF-8 with BOM so Excel shows Chinese text; cells starting with = + - @ are prefixed with ' ; columns: ${CSV_COLUMNS.join(', ')} (subject and payload as JSON).`,
        querystring: Filter.extend({ format: z.enum(['ndjson', 'csv']).default('ndjson') }),
        response: {
          200: {
            description: 'the events, in sequence order',
            content: { 'application/x-ndjson': { schema: z.string() }, 'text/csv': { schema: z.string() } },
          },
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const { format, ...filter } = request.query
      const events = Readable.from(readEvents(database.db, filter))
      const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '')
      reply.header('content-disposition', `attachment; filename="popscreen-audit-${stamp}.${format}"`)
      if (format === 'csv') {
        reply.type('text/csv; charset=utf-8')
        const csv = stringify({ header: true, columns: [...CSV_COLUMNS], bom: true, escape_formulas: true })
        const rows = new Transform({
          objectMode: true,
          transform: (event: AuditEvent, _enc, done) => done(null, csvRow(event)),
        })
        pipeline(events, rows, csv).catch((err) => request.log.error({ err }, 'audit CSV export failed'))
        return reply.send(csv as never)
      }
      reply.type('application/x-ndjson; charset=utf-8')
      const ndjson = new Transform({
        writableObjectMode: true,
        transform: (event: AuditEvent, _enc, done) => done(null, `${JSON.stringify(event)}\n`),
      })
      pipeline(events, ndjson).catch((err) => request.log.error({ err }, 'audit NDJSON export failed'))
      return reply.send(ndjson as never)
    },
  )

  app.get(
    '/v1/audit/verify',
    {
      config: { roles: ['auditor', 'admin'] },
      schema: {
        operationId: 'verifyAuditChain',
        tags: ['audit'],
        summary: 'Recompute the hash chain over a time range',
        querystring: z.object({
          from: DateTimeQuery.optional().describe('events at or after'),
          to: DateTimeQuery.optional().describe('events before'),
        }),
        response: {
          200: z
            .object({
              ok: z.boolean(),
              checked: z.number().int(),
              firstBrokenSequence: z.number().int().nullable(),
              reason: z.string().nullable(),
            })
            .meta({ id: 'ChainVerdict' }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      let verifier: ChainVerifier | null = null
      for await (const event of readEvents(database.db, request.query)) {
        verifier ??= new ChainVerifier(
          event.sequence > 1 ? await eventBefore(database.db, event.sequence) : null,
        )
        if (!verifier.push(event)) break
      }
      return (verifier ?? new ChainVerifier(null)).verdict()
    },
  )
}
