import { and, asc, eq, isNull, or, type SQL, sql } from 'drizzle-orm'
import { insertRowsSql } from '../db/bulk-insert.ts'
import { type Queryable, queryRows } from '../db/client.ts'
import { feedEvents } from '../db/schema.ts'

/**
 * The event feed (contract §11): `GET /v1/events` and the webhooks read it.
 *
 * Commit order. A feed event is keyed by the sequence of the audit event that records the same change
 * (plus its place among that audit event's feed events), and is written in the same statement or
 * transaction as that audit event. Audit sequences are handed out under one advisory lock that the writer
 * holds until its transaction ends (src/services/audit-log.ts): the next sequence can only be written once
 * the previous one has committed, and PostgreSQL makes a transaction visible before it releases its locks.
 * So whenever a reader sees sequence N, every sequence below N is already visible to it, and a reader that
 * continues after the last event it saw can never skip one that commits later. A bigserial would not
 * do: its values are drawn before commit, and a reader could see 12 while 11 is still in flight, then
 * continue after 12 and miss 11 for good. The lock is the audit chain's own (group commit already takes it
 * once per batch), so the feed adds no serialisation point of its own.
 */

export const FEED_EVENT_TYPES = [
  'screening.created',
  'review.opened',
  'review.resolved',
  'screening.rescreened',
  'registry.activated',
] as const
export type FeedEventType = (typeof FEED_EVENT_TYPES)[number]

/** A feed event before its audit event is sealed: the writer declares it beside the audit event. */
export interface FeedDraft {
  type: FeedEventType
  /** When it happened; the audit event's time when absent (a screening uses its answer's `decidedAt`). */
  at?: string
  /** Whose screening it reports; null for events every organisation sees. */
  organisation: string | null
  screeningId?: string | null
  declarationId?: string | null
  reviewId?: string | null
  decision?: string | null
  registryVersion?: string | null
  rescreenOf?: string | null
}

/** A feed event as `GET /v1/events` answers it and a webhook POSTs it. */
export interface FeedEvent {
  id: string
  type: FeedEventType
  at: string
  screeningId: string | null
  declarationId: string | null
  reviewId: string | null
  decision: string | null
  registryVersion: string | null
  rescreenOf: string | null
  organisation: string | null
  auditSequence: number
}

/** Where a reader stands in the feed: after this audit sequence and place within it. */
export interface FeedPosition {
  sequence: number
  ordinal: number
}

export const FEED_START: FeedPosition = { sequence: 0, ordinal: 0 }

/** An event's id, which is also the cursor that continues after it: `<audit sequence>-<place>`. */
export const positionId = (p: FeedPosition): string => `${p.sequence}-${p.ordinal}`

export const CURSOR_PATTERN = /^(0|[1-9][0-9]{0,14})-(0|[1-9][0-9]{0,3})$/

/** The position a cursor names; null when it is not one this service hands out. */
export function parseCursor(cursor: string): FeedPosition | null {
  const m = CURSOR_PATTERN.exec(cursor)
  return m ? { sequence: Number(m[1]), ordinal: Number(m[2]) } : null
}

/**
 * The INSERT of feed events that belong to sealed audit events, for the statement or transaction that
 * writes those audit events. `where` is the chain lock's guard: inside the group commit's one statement
 * its parts run in no set order, and an insert that ran before the statement took the lock could hold a
 * key another writer, holding the lock, is about to insert (see `insertCheckpointSql`).
 */
export function insertFeedSql(
  events: readonly { sequence: number; at: string; feed: readonly FeedDraft[] }[],
  where?: SQL,
): SQL | null {
  return insertRowsSql(
    feedEvents,
    events.flatMap(({ sequence, at, feed }) =>
      feed.map((d, ordinal) => ({
        auditSequence: sequence,
        ordinal,
        type: d.type,
        at: new Date(d.at ?? at),
        organisation: d.organisation,
        screeningId: d.screeningId ?? null,
        declarationId: d.declarationId ?? null,
        reviewId: d.reviewId ?? null,
        decision: d.decision ?? null,
        registryVersion: d.registryVersion ?? null,
        rescreenOf: d.rescreenOf ?? null,
      })),
    ),
    where,
  )
}

type FeedRow = typeof feedEvents.$inferSelect

export function feedEventOf(row: FeedRow): FeedEvent {
  return {
    id: positionId({ sequence: Number(row.auditSequence), ordinal: row.ordinal }),
    type: row.type as FeedEventType,
    at: row.at.toISOString(),
    screeningId: row.screeningId,
    declarationId: row.declarationId,
    reviewId: row.reviewId,
    decision: row.decision,
    registryVersion: row.registryVersion,
    rescreenOf: row.rescreenOf,
    organisation: row.organisation,
    auditSequence: Number(row.auditSequence),
  }
}

/** Rows after a position, in feed order. */
const after = (p: FeedPosition) =>
  sql`(${feedEvents.auditSequence}, ${feedEvents.ordinal}) > (${p.sequence}, ${p.ordinal})`

/** What an organisation sees: its own events and those addressed to every organisation. */
export const visibleTo = (organisation: string) =>
  or(eq(feedEvents.organisation, organisation), isNull(feedEvents.organisation))

export interface FeedQuery {
  after: FeedPosition
  limit: number
  /** Only this organisation's events (and those every organisation sees); null: all of them. */
  organisation: string | null
  types?: readonly string[] | undefined
}

/** Feed events after a position, oldest first. */
export async function readFeed(db: Queryable, query: FeedQuery): Promise<FeedEvent[]> {
  const conditions = [after(query.after)]
  if (query.organisation !== null) conditions.push(visibleTo(query.organisation)!)
  if (query.types) conditions.push(sql`${feedEvents.type} = any(${sql.param([...query.types])}::text[])`)
  const rows = await db
    .select()
    .from(feedEvents)
    .where(and(...conditions))
    .orderBy(asc(feedEvents.auditSequence), asc(feedEvents.ordinal))
    .limit(query.limit)
  return rows.map(feedEventOf)
}

/**
 * One page of the feed. `nextCursor` is never null: after the last event answered, or where the reader
 * already stood when nothing new has committed (it may come back with the same cursor later).
 */
export async function feedPage(
  db: Queryable,
  query: FeedQuery,
): Promise<{ items: FeedEvent[]; nextCursor: string }> {
  const items = await readFeed(db, query)
  const last = items[items.length - 1]
  return { items, nextCursor: last ? last.id : positionId(query.after) }
}

/** The newest position of the whole feed (where a new subscription starts). */
export async function feedTail(db: Queryable): Promise<FeedPosition> {
  const [row] = await queryRows<{ audit_sequence: string | number; ordinal: number }>(
    db,
    sql`select audit_sequence, ordinal from feed_events order by audit_sequence desc, ordinal desc limit 1`,
  )
  return row ? { sequence: Number(row.audit_sequence), ordinal: Number(row.ordinal) } : FEED_START
}
