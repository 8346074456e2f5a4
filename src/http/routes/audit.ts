import { stringify } from 'csv-stringify/sync'
import { z } from 'zod'
import type { AuditActor } from '../../core/audit-chain.ts'
import { EXCEL_CELL_LIMIT } from '../../reports/decision-log.ts'
import {
  type EventText,
  eventTextToJsonLine,
  ndjsonCopyStatements,
  readEventPages,
} from '../../services/audit-log.ts'
import { verifyStoredChain } from '../../services/chain-verify.ts'
import { listCheckpoints, listPublicKeys } from '../../services/checkpoint-log.ts'
import type { Services } from '../../services/index.ts'
import { DateTimeQuery, Page, problemResponses } from '../schemas/common.ts'
import { AuditCheckpoint } from '../schemas/screening.ts'
import { streamBody } from '../stream-response.ts'
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

/**
 * Excel holds at most 32,767 characters in a cell and cuts or spills longer ones; a 100-line screening's
 * payload runs to ~190,000. Such a payload is offered in the NDJSON export only (which verification reads
 * anyway): its CSV cell says so and names its length. Continuation columns were the other choice; they
 * would give the CSV a header that depends on the data and still not make the JSON readable in a cell.
 */
export function payloadCell(payload: string): string {
  return payload.length <= EXCEL_CELL_LIMIT
    ? payload
    : `[payload of ${payload.length} characters: in the NDJSON export only (format=ndjson)]`
}

function csvRow(e: EventText): unknown[] {
  const actor = JSON.parse(e.actor) as AuditActor
  return [
    e.sequence,
    e.at,
    e.action,
    actor.keyId ?? '',
    actor.name,
    actor.role,
    e.subject,
    e.decision ?? '',
    e.registryVersion ?? '',
    e.requestId ?? '',
    e.prevHash,
    e.hash,
    payloadCell(e.payload),
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
      'webhook.created',
      'webhook.deleted',
    ])
    .optional(),
  decision: z.enum(['ALLOW', 'REVIEW', 'BLOCK']).optional(),
})

/**
 * NDJSON in chunks of about 64 KiB: one stream write per event costs more than the event, and chunks
 * of megabytes land in V8's large-object space, which only a full GC frees, so the heap would balloon.
 */
async function* ndjsonChunks(pages: AsyncIterable<EventText[]>): AsyncGenerator<string> {
  let chunk = ''
  for await (const page of pages)
    for (const event of page) {
      chunk += eventTextToJsonLine(event)
      if (chunk.length >= 65_536) {
        yield chunk
        chunk = ''
      }
    }
  if (chunk) yield chunk
}

/** Payload characters per CSV chunk: rows are grouped until their payloads pass this (see ndjsonChunks). */
const CSV_CHUNK_CHARS = 65_536

/** CSV in small chunks (see ndjsonChunks): the header row and BOM once; formulas escaped for Excel. */
async function* csvChunks(pages: AsyncIterable<EventText[]>): AsyncGenerator<string> {
  const options = { columns: [...CSV_COLUMNS], escape_formulas: true }
  yield stringify([], { ...options, header: true, bom: true })
  for await (const page of pages)
    for (let i = 0; i < page.length; ) {
      let end = i
      for (let chars = 0; end < page.length && (end === i || chars < CSV_CHUNK_CHARS); end++)
        chars += page[end]!.payload.length
      yield stringify(page.slice(i, end).map(csvRow), options)
      i = end
    }
}

const PublicKey = z
  .object({
    algorithm: z.literal('Ed25519'),
    keyId: z.string(),
    publicKeyPem: z.string().describe('SubjectPublicKeyInfo, PEM'),
  })
  .meta({ id: 'AuditPublicKey' })

export async function auditRoutes(app: App, { database, signer }: Services) {
  app.get(
    '/v1/audit/public-key',
    {
      config: { roles: ['screener', 'officer', 'auditor', 'admin'] },
      schema: {
        operationId: 'getAuditPublicKey',
        tags: ['audit'],
        summary: 'The Ed25519 public key that signs new checkpoints',
        description:
          'Checkpoints carry the `keyId` that signed them; keys used before a rotation are listed at GET /v1/audit/public-keys.',
        response: { 200: PublicKey, ...problemResponses },
      },
    },
    async () => ({
      algorithm: 'Ed25519' as const,
      keyId: signer.key.keyId,
      publicKeyPem: signer.key.publicKeyPem,
    }),
  )

  app.get(
    '/v1/audit/public-keys',
    {
      config: { roles: ['screener', 'officer', 'auditor', 'admin'] },
      schema: {
        operationId: 'listAuditPublicKeys',
        tags: ['audit'],
        summary: 'Every public key that ever signed a checkpoint, oldest first (rotated keys stay listed)',
        response: {
          200: z.object({
            items: z.array(PublicKey.extend({ firstUsedAt: z.string() })),
            nextCursor: z.null(),
          }),
          ...problemResponses,
        },
      },
    },
    async () => ({ items: await listPublicKeys(database.db), nextCursor: null }),
  )

  app.get(
    '/v1/audit/checkpoints',
    {
      config: { roles: ['auditor', 'admin'] },
      schema: {
        operationId: 'listAuditCheckpoints',
        tags: ['audit'],
        summary: 'Signed checkpoints, one per committed batch of audit events, in sequence order',
        description:
          'Verify an export against them offline: `npm run --silent cli -- audit verify export.ndjson --checkpoints checkpoints.json --public-key key.pem` (the file may be this answer, or its items, of every page).',
        querystring: z.object({
          from: DateTimeQuery.optional().describe('checkpoints signed at or after (the time of their batch)'),
          to: DateTimeQuery.optional().describe('checkpoints signed before'),
          cursor: z
            .string()
            .regex(/^\d{1,15}$/, 'a nextCursor value')
            .optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100).describe('page size, 1–1000'),
        }),
        response: { 200: Page(AuditCheckpoint), ...problemResponses },
      },
    },
    async (request) => {
      const { cursor, ...filter } = request.query
      return listCheckpoints(database.db, {
        ...filter,
        cursor: cursor === undefined ? undefined : Number(cursor),
      })
    },
  )

  app.get(
    '/v1/audit/events',
    {
      config: { roles: ['auditor', 'admin'] },
      schema: {
        operationId: 'exportAuditEvents',
        tags: ['audit'],
        summary: 'Stream audit events as NDJSON or CSV',
        description: `NDJSON: one event per line exactly as hashed (verifiable offline with \`npm run --silent cli -- audit verify file.ndjson\`). CSV: UTF-8 with BOM so Excel shows Chinese text; cells starting with = + - @ are prefixed with ' ; columns: ${CSV_COLUMNS.join(', ')} (subject and payload as JSON; a payload longer than Excel’s 32,767-character cell is in the NDJSON export only, its CSV cell saying so).`,
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
      app.longReads.hold(reply)
      const { minBytesPerSecond } = app.longReads
      const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '')
      reply.header('content-disposition', `attachment; filename="popscreen-audit-${stamp}.${format}"`)
      if (format === 'csv')
        return streamBody(
          request,
          reply,
          'text/csv; charset=utf-8',
          csvChunks(readEventPages(database.exportDb, filter)),
          minBytesPerSecond,
        )
      const lines = database.copyOut
        ? database.copyOut(await ndjsonCopyStatements(database.exportDb, filter))
        : ndjsonChunks(readEventPages(database.exportDb, filter))
      return streamBody(request, reply, 'application/x-ndjson; charset=utf-8', lines, minBytesPerSecond)
    },
  )

  app.get(
    '/v1/audit/verify',
    {
      config: { roles: ['auditor', 'admin'] },
      schema: {
        operationId: 'verifyAuditChain',
        tags: ['audit'],
        summary: 'Recompute the hash chain over a time range and hold it to the stored signed checkpoints',
        querystring: z.object({
          from: DateTimeQuery.optional().describe('events at or after'),
          to: DateTimeQuery.optional().describe('events before'),
        }),
        response: {
          200: z
            .object({
              ok: z.boolean(),
              checked: z.number().int().describe('events whose hash was recomputed'),
              firstBrokenSequence: z.number().int().nullable(),
              reason: z.string().nullable(),
              checkpointsChecked: z
                .number()
                .int()
                .describe(
                  'stored checkpoints of the range whose signature verified and whose sequence and hash the chain matched',
                ),
            })
            .meta({ id: 'ChainVerdict' }),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      app.longReads.hold(reply)
      // Verifying years of events takes minutes with nothing written meanwhile; the idle-socket timeout
      // (30 s) would cut the connection before the verdict.
      request.raw.socket?.setTimeout?.(0)
      return verifyStoredChain(database.exportDb, request.query)
    },
  )
}
