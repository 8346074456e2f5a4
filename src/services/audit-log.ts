import { and, asc, eq, gte, lt, sql } from 'drizzle-orm'
import {
  type AuditAction,
  type AuditActor,
  type AuditEvent,
  GENESIS_HASH,
  hashEventWithPayload,
} from '../core/audit-chain.ts'
import { canonicalJson } from '../core/canonical-json.ts'
import { bulkInsert } from '../db/bulk-insert.ts'
import { type Db, type Queryable, queryRows, type Tx } from '../db/client.ts'
import { auditEvents } from '../db/schema.ts'

/** Serialises appends across every process on the database, so the chain stays one gap-free line. */
export const AUDIT_LOCK_KEY = 7_417_002

export interface PendingEvent {
  action: AuditAction
  actor: AuditActor
  subject: Record<string, string>
  decision?: string | null
  registryVersion?: string | null
  requestId?: string | null
  payload: unknown
  /** canonicalJson(payload), when the caller computed it before taking the chain lock. */
  canonicalPayload?: string
}

/** Writes sealed events in one statement (inside the caller's transaction, under the chain lock). */
export async function insertEvents(db: Queryable, events: readonly AuditEvent[]): Promise<void> {
  await bulkInsert(
    db,
    auditEvents,
    events.map((e) => ({
      sequence: e.sequence,
      at: new Date(e.at),
      action: e.action,
      actor: e.actor,
      subject: e.subject,
      decision: e.decision,
      registryVersion: e.registryVersion,
      requestId: e.requestId,
      payload: e.payload,
      prevHash: e.prevHash,
      hash: e.hash,
    })),
  )
}

/**
 * Appends events inside the caller's transaction: takes the chain lock, reads the tail and links each
 * event to the one before. The events are durable when the caller's transaction commits.
 */
export async function appendEvents(tx: Tx, pending: readonly PendingEvent[]): Promise<AuditEvent[]> {
  await tx.execute(sql`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`)
  const [tail] = await queryRows<{ sequence: string | number; hash: string }>(
    tx,
    sql`select sequence, hash from audit_events order by sequence desc limit 1`,
  )
  let sequence = tail ? Number(tail.sequence) : 0
  let prevHash = tail?.hash ?? GENESIS_HASH
  const at = new Date().toISOString()
  const sealed: AuditEvent[] = pending.map((p) => {
    sequence += 1
    const body = {
      sequence,
      at,
      action: p.action,
      actor: { keyId: p.actor.keyId, name: p.actor.name, role: p.actor.role },
      subject: p.subject,
      decision: p.decision ?? null,
      registryVersion: p.registryVersion ?? null,
      requestId: p.requestId ?? null,
      payload: p.payload,
      prevHash,
    }
    const hash = hashEventWithPayload(body, p.canonicalPayload ?? canonicalJson(p.payload))
    prevHash = hash
    return { ...body, hash }
  })
  await insertEvents(tx, sealed)
  return sealed
}

export type AuditRow = typeof auditEvents.$inferSelect

/** A stored row back into the exact object that was hashed. */
export function rowToEvent(row: AuditRow): AuditEvent {
  return {
    sequence: Number(row.sequence),
    at: row.at.toISOString(),
    action: row.action as AuditAction,
    actor: row.actor as AuditActor,
    subject: row.subject as Record<string, string>,
    decision: row.decision,
    registryVersion: row.registryVersion,
    requestId: row.requestId,
    payload: row.payload,
    prevHash: row.prevHash,
    hash: row.hash,
  }
}

export interface AuditFilter {
  from?: Date | undefined
  to?: Date | undefined
  action?: string | undefined
  decision?: string | undefined
  fromSequence?: number | undefined
}

/**
 * The sequence windows a read walks: a time range becomes a sequence range (on the `at` index) and the
 * range is read `size` sequences at a time on the primary key. Each query then costs at most `size`
 * rows whatever the filters and the planner's statistics; a filter-driven plan sorted every matching
 * row for each page. The `at` conditions stay in the query too: the range is a superset, never a guess.
 */
async function sequenceWindows(db: Db, filter: AuditFilter, size: number): Promise<[number, number][]> {
  const bound = async (query: ReturnType<typeof sql>) =>
    (await queryRows<{ s: string | number | null }>(db, query))[0]?.s ?? null
  const first = filter.from
    ? await bound(sql`select min(sequence) as s from audit_events where at >= ${filter.from.toISOString()}`)
    : 1
  const last = filter.to
    ? await bound(sql`select max(sequence) as s from audit_events where at < ${filter.to.toISOString()}`)
    : await bound(sql`select max(sequence) as s from audit_events`)
  const windows: [number, number][] = []
  if (first === null || last === null) return windows
  for (let after = Math.max(Number(first), filter.fromSequence ?? 1) - 1; after < Number(last); after += size)
    windows.push([after, Math.min(after + size, Number(last))])
  return windows
}

/**
 * Reads the windows in order, the next one's query already running while the caller handles the
 * current page, so the database and the event loop work at the same time.
 */
async function* prefetched<T>(windows: [number, number][], read: (w: [number, number]) => Promise<T[]>) {
  const start = (i: number) => {
    const page = read(windows[i]!)
    page.catch(() => {}) // a consumer that stops early never awaits it; it must not become unhandled
    return page
  }
  let next = windows.length > 0 ? start(0) : null
  for (let i = 0; next; i++) {
    const rows = await next
    next = i + 1 < windows.length ? start(i + 1) : null
    if (rows.length > 0) yield rows
  }
}

function filterConditions(filter: AuditFilter, [after, upTo]: [number, number]) {
  const conditions = [sql`${auditEvents.sequence} > ${after}`, sql`${auditEvents.sequence} <= ${upTo}`]
  if (filter.from) conditions.push(gte(auditEvents.at, filter.from))
  if (filter.to) conditions.push(lt(auditEvents.at, filter.to))
  if (filter.action) conditions.push(eq(auditEvents.action, filter.action))
  if (filter.decision) conditions.push(eq(auditEvents.decision, filter.decision))
  return and(...conditions)
}

/** Keyset pages over the log, parsed (for verification): memory stays bounded whatever the range. */
export async function* readEvents(db: Db, filter: AuditFilter, pageSize = 1_000): AsyncGenerator<AuditEvent> {
  const pages = prefetched(await sequenceWindows(db, filter, pageSize), (window) =>
    db.select().from(auditEvents).where(filterConditions(filter, window)).orderBy(asc(auditEvents.sequence)),
  )
  for await (const rows of pages) for (const row of rows) yield rowToEvent(row)
}

/** An event as export columns, its JSON members as JSON text straight from the database. */
export interface EventText {
  sequence: number
  at: string
  action: string
  actor: string
  subject: string
  decision: string | null
  registryVersion: string | null
  requestId: string | null
  payload: string
  prevHash: string
  hash: string
}

/**
 * Pages for export, with the JSON members left as the database's JSON text: parsing and re-serialising
 * every payload cost more than everything else in an export. `at` is formatted as `Date#toISOString()`
 * writes it, so an exported event has the same members and values as the hashed one (JSON whitespace
 * inside members may differ; verification hashes parsed values).
 */
export async function* readEventPages(
  db: Db,
  filter: AuditFilter,
  pageSize = 1_000,
): AsyncGenerator<EventText[]> {
  yield* prefetched(await sequenceWindows(db, filter, pageSize), async (window) => {
    const rows = await queryRows<EventText & { sequence: string | number }>(
      db,
      sql`select sequence, (extract(epoch from at) * 1000)::float8 as at, action,
        actor::text as actor, subject::text as subject, decision, registry_version as "registryVersion",
        request_id as "requestId", payload::text as payload, prev_hash as "prevHash", hash
        from audit_events where ${filterConditions(filter, window)} order by sequence`,
    )
    // `at` arrives as epoch milliseconds: formatting it here is cheaper than to_char in the database.
    for (const row of rows) {
      row.sequence = Number(row.sequence)
      row.at = new Date(Number(row.at)).toISOString()
    }
    return rows
  })
}

const json = JSON.stringify

/** One NDJSON line: the members in the order `rowToEvent` gives them, JSON members spliced in as text. */
export function eventTextToJsonLine(e: EventText): string {
  return (
    `{"sequence":${e.sequence},"at":${json(e.at)},"action":${json(e.action)},"actor":${e.actor},` +
    `"subject":${e.subject},"decision":${json(e.decision)},"registryVersion":${json(e.registryVersion)},` +
    `"requestId":${json(e.requestId)},"payload":${e.payload},"prevHash":${json(e.prevHash)},"hash":${json(e.hash)}}\n`
  )
}

export async function eventBefore(
  db: Db,
  sequence: number,
): Promise<{ sequence: number; hash: string } | null> {
  const [row] = await queryRows<{ sequence: string | number; hash: string }>(
    db,
    sql`select sequence, hash from audit_events where sequence < ${sequence} order by sequence desc limit 1`,
  )
  return row ? { sequence: Number(row.sequence), hash: row.hash } : null
}
