import { and, asc, eq, gt, gte, lt } from 'drizzle-orm'
import { withClientRequestId } from '../core/audit-chain.ts'
import type { Db, Tx } from '../db/client.ts'
import { auditEvents, reviewCases, screenings } from '../db/schema.ts'
import type { Principal } from './actor.ts'
import { appendEvents } from './audit-log.ts'
import type { CheckpointSigner } from './audit-signer.ts'
import { AppError, notFound } from './errors.ts'

export const REVIEW_REASON_CODES = [
  'LAB_REPORT_ABSENT',
  'PERMIT_VERIFIED',
  'TRACE_CONFIRMED',
  'EXEMPT_USE_ON_DATE',
  'CONFIRMED_PRESENT',
  'OTHER',
] as const
export type ReviewReasonCode = (typeof REVIEW_REASON_CODES)[number]

/** What each reason code means and the outcomes it can justify: an outcome must agree with its reason. */
export const REVIEW_REASON_OUTCOMES: Readonly<
  Record<ReviewReasonCode, { outcomes: readonly ('ALLOW' | 'BLOCK')[]; meaning: string }>
> = {
  LAB_REPORT_ABSENT: {
    outcomes: ['ALLOW'],
    meaning: 'a laboratory report shows the substance absent (not detected, or below its trace limit)',
  },
  PERMIT_VERIFIED: {
    outcomes: ['ALLOW'],
    meaning: 'the permit or release notice the measure requires was checked',
  },
  TRACE_CONFIRMED: {
    outcomes: ['ALLOW'],
    meaning: 'the substance is only an unintentional trace contaminant',
  },
  EXEMPT_USE_ON_DATE: {
    outcomes: ['ALLOW'],
    meaning: 'the declared use was an exempt use still open on the declaration date',
  },
  CONFIRMED_PRESENT: { outcomes: ['BLOCK'], meaning: 'the banned substance is present in the goods' },
  OTHER: { outcomes: ['ALLOW', 'BLOCK'], meaning: 'any other ground, stated in the note' },
}

export interface ReviewCase {
  id: string
  screeningId: string
  declarationId: string
  status: 'open' | 'resolved'
  lines: { lineNo: number; reasons: { code: string }[] }[]
  createdAt: string
  resolution: {
    outcome: 'ALLOW' | 'BLOCK'
    reasonCode: string
    note: string
    decidedBy: { keyId: string | null; name: string; role: string }
    decidedAt: string
    auditSequence: number | null
  } | null
}

function toCase(row: typeof reviewCases.$inferSelect): ReviewCase {
  return {
    id: row.id,
    screeningId: row.screeningId,
    declarationId: row.declarationId,
    status: row.status as ReviewCase['status'],
    lines: row.lines as ReviewCase['lines'],
    createdAt: row.createdAt.toISOString(),
    resolution:
      row.status === 'resolved'
        ? {
            outcome: row.outcome as 'ALLOW' | 'BLOCK',
            reasonCode: row.reasonCode!,
            note: row.note!,
            decidedBy: row.decidedBy as NonNullable<ReviewCase['resolution']>['decidedBy'],
            decidedAt: row.resolvedAt!.toISOString(),
            auditSequence: row.resolutionSequence,
          }
        : null,
  }
}

export interface ReviewFilter {
  status?: 'open' | 'resolved' | undefined
  from?: Date | undefined
  to?: Date | undefined
  cursor?: string | undefined
  limit: number
}

/** The officer's queue: one case per REVIEW screening, closed once with a reason and a note. */
export class ReviewService {
  constructor(
    private readonly db: Db,
    private readonly signer: CheckpointSigner,
  ) {}

  async list(filter: ReviewFilter): Promise<{ items: ReviewCase[]; nextCursor: string | null }> {
    const conditions = []
    if (filter.status) conditions.push(eq(reviewCases.status, filter.status))
    if (filter.from) conditions.push(gte(reviewCases.createdAt, filter.from))
    if (filter.to) conditions.push(lt(reviewCases.createdAt, filter.to))
    if (filter.cursor) conditions.push(gt(reviewCases.id, filter.cursor))
    // Oldest first: a queue is worked from its head.
    const rows = await this.db
      .select()
      .from(reviewCases)
      .where(and(...conditions))
      .orderBy(asc(reviewCases.id))
      .limit(filter.limit + 1)
    const page = rows.slice(0, filter.limit)
    return {
      items: page.map(toCase),
      nextCursor: rows.length > filter.limit ? page[page.length - 1]!.id : null,
    }
  }

  async get(id: string): Promise<ReviewCase> {
    const [row] = await this.db.select().from(reviewCases).where(eq(reviewCases.id, id))
    if (!row) throw notFound(`review case ${id}`)
    return toCase(row)
  }

  async resolve(
    id: string,
    resolution: { outcome: 'ALLOW' | 'BLOCK'; reasonCode: ReviewReasonCode; note: string },
    actor: Principal,
    requestId: string,
    clientRequestId: string | null = null,
  ): Promise<ReviewCase> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.select().from(reviewCases).where(eq(reviewCases.id, id)).for('update')
      if (!row) throw notFound(`review case ${id}`)
      if (row.status !== 'open')
        throw new AppError(409, 'REVIEW_ALREADY_RESOLVED', `review case ${id} is already resolved`, {
          title: 'Conflict',
        })
      if (resolution.outcome === 'ALLOW') await refuseAllowOverBlock(tx, row.screeningId)
      const [event] = await appendEvents(
        tx,
        [
          {
            action: 'review.resolved',
            actor,
            subject: { reviewId: id, screeningId: row.screeningId, declarationId: row.declarationId },
            decision: resolution.outcome,
            requestId,
            payload: withClientRequestId(resolution, clientRequestId),
          },
        ],
        this.signer,
      )
      const [updated] = await tx
        .update(reviewCases)
        .set({
          status: 'resolved',
          outcome: resolution.outcome,
          reasonCode: resolution.reasonCode,
          note: resolution.note,
          decidedBy: { keyId: actor.keyId, name: actor.name, role: actor.role },
          resolvedAt: new Date(event!.at),
          resolutionSequence: event!.sequence,
        })
        .where(eq(reviewCases.id, id))
        .returning()
      return toCase(updated!)
    })
  }
}

/**
 * A review resolves the REVIEW lines only: a declaration whose screening has BLOCK lines stays BLOCK, so an
 * ALLOW, which would read as a final ALLOW of the whole declaration, is refused naming those lines.
 */
async function refuseAllowOverBlock(tx: Tx, screeningId: string): Promise<void> {
  const [screening] = await tx
    .select({ decision: screenings.decision, payload: auditEvents.payload })
    .from(screenings)
    .innerJoin(auditEvents, eq(auditEvents.sequence, screenings.auditSequence))
    .where(eq(screenings.id, screeningId))
  if (screening?.decision !== 'BLOCK') return
  const { lines } = (screening.payload as { response: { lines: { lineNo: number; decision: string }[] } })
    .response
  const blocked = lines.filter((l) => l.decision === 'BLOCK').map((l) => l.lineNo)
  throw new AppError(
    409,
    'BLOCK_LINES_STAND',
    `screening ${screeningId} blocks line ${blocked.join(', ')}; a review resolves only the REVIEW lines and ` +
      'cannot make the declaration more lenient than its BLOCK lines: resolve with BLOCK',
    { title: 'Conflict' },
  )
}
