import { and, eq, gte, lt, type SQL, sql } from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'
import {
  type AuditAction,
  type AuditActor,
  type AuditEvent,
  type ChainTail,
  type SealedEvent,
  sealEvents,
  type UnsealedEvent,
} from '../core/audit-chain.ts'
import type { Checkpoint } from '../core/checkpoint.ts'
import { insertRowsSql, JsonText } from '../db/bulk-insert.ts'
import { type Db, type Queryable, queryRows, type Tx } from '../db/client.ts'
import { auditCheckpoints, auditEvents } from '../db/schema.ts'
import type { CheckpointSigner } from './audit-signer.ts'
import { type FeedDraft, insertFeedSql } from './event-feed.ts'

/** Serialises appends across every process on the database, so the chain stays one gap-free line. */
const AUDIT_LOCK_KEY = 7_417_002

/**
 * A guard that takes the chain lock (re-entrant within a transaction): a statement part filtered by it
 * writes only once the lock is held. Every part of a batch's one statement that inserts a key another
 * writer may insert too needs it, and so does a part that updates an existing row, so the statement locks
 * the chain before that row, in the order of a transaction that appends under the lock and then updates.
 */
export const CHAIN_LOCKED = sql`(select pg_advisory_xact_lock(${AUDIT_LOCK_KEY})) is not null`

/** An event to append with the feed events it produces (contract §11), written in the same transaction. */
export type PendingEvent = UnsealedEvent & { feed?: readonly FeedDraft[] | undefined }

/**
 * The statement that writes sealed events, each payload as the canonical JSON that was hashed (the `json`
 * column keeps that text); `where` guards the whole statement.
 */
function insertEventsSql(events: readonly SealedEvent[], where?: SQL): SQL | null {
  return insertRowsSql(
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
      payload: new JsonText(e.canonicalPayload),
      prevHash: e.prevHash,
      hash: e.hash,
    })),
    where,
  )
}

/**
 * The INSERT of a batch's checkpoint, run in the batch's statement or transaction. Guarded by the chain
 * lock like the events: the parts of one statement run in no set order, and a checkpoint inserted before
 * its statement took the lock would hold its sequence's index entry while waiting for the lock, which a
 * writer holding the lock and inserting the same sequence then waits for — a deadlock, found by two
 * servers on one PostgreSQL.
 */
export function insertCheckpointSql(c: Checkpoint): SQL {
  return sql`insert into ${auditCheckpoints} (sequence, hash, at, key_id, signature)
    select ${c.sequence}::bigint, ${c.hash}::text, ${c.at}::text, ${c.keyId}::text, ${c.signature}::text
    where ${CHAIN_LOCKED}`
}

/** Writes sealed events in one statement (inside the caller's transaction, under the chain lock). */
export async function insertEvents(db: Queryable, events: readonly SealedEvent[]): Promise<void> {
  const statement = insertEventsSql(events)
  if (statement) await db.execute(statement)
}

/** The chain's last event, or with `before` the last one before that sequence; null if there is none. */
export async function readTail(db: Queryable, before?: number): Promise<ChainTail | null> {
  const [tail] = await queryRows<{ sequence: string | number; hash: string }>(
    db,
    sql`select sequence, hash from audit_events ${before === undefined ? sql`` : sql`where sequence < ${before}`}
      order by sequence desc limit 1`,
  )
  return tail ? { sequence: Number(tail.sequence), hash: tail.hash } : null
}

/**
 * Takes the chain lock until the transaction ends; the tail read after it stays the tail. Seeding and
 * activating a registry version take it too, to order themselves between processes.
 */
export async function lockChain(tx: Tx): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`)
}

/**
 * Appends events inside the caller's transaction: takes the chain lock, reads the tail and links each
 * event to the one before, then signs their checkpoint. The events are durable when the caller's
 * transaction commits.
 */
export async function appendEvents(
  tx: Tx,
  pending: readonly PendingEvent[],
  signer: CheckpointSigner,
): Promise<AuditEvent[]> {
  await lockChain(tx)
  const at = new Date().toISOString()
  const sealed = sealEvents(pending, await readTail(tx), at)
  await insertEvents(tx, sealed)
  const feed = insertFeedSql(
    sealed.map((e, i) => ({ sequence: e.sequence, at, feed: pending[i]!.feed ?? [] })),
  )
  if (feed) await tx.execute(feed)
  // These events are a batch of their own: it ends in a checkpoint too, committed with them.
  await tx.execute(insertCheckpointSql(signer.sign(sealed[sealed.length - 1]!, at)))
  return sealed
}

/**
 * One statement that appends events already sealed after a tail the caller believes current, together
 * with `rows` (inserts of rows that belong with the events), so a batch costs one round trip and commits
 * as a whole. It takes the chain lock before it writes anything (an InitPlan of the guard), so it
 * serialises with `appendEvents`. If the tail was stale, the first sequence already exists and the
 * primary key refuses the statement (see `isChainConflict`): nothing is written, and the caller seals
 * again after the real tail.
 */
export function appendSealedSql(events: readonly SealedEvent[], rows: readonly SQL[]): SQL {
  const parts = [insertEventsSql(events, CHAIN_LOCKED)!, ...rows]
  return sql`with ${sql.join(
    parts.map((part, i) => sql`${sql.raw(`w${i}`)} as (${part})`),
    sql`, `,
  )} select 1`
}

const CHAIN_KEYS = new Set([
  'audit_events_pkey',
  'audit_checkpoints_pkey',
  'feed_events_audit_sequence_ordinal_pk',
])

/** Whether a write failed because another writer took the sequence it meant to append. */
export function isChainConflict(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const { code, constraint } = e as { code?: string; constraint?: string }
    // The batch's checkpoint and feed events take the same sequences, and PostgreSQL may refuse them first.
    if (code === '23505' && constraint !== undefined && CHAIN_KEYS.has(constraint)) return true
  }
  return false
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
 * The events of one window that pass the filter, as a FROM item named audit_events. The window is read
 * by its primary-key range alone (OFFSET 0 keeps the planner from folding the other conditions into the
 * scan): before ANALYZE it combined the range with the action index, reading that whole index for every
 * window — 69 ms per 2,000-event window of a 1,000,000-event log, and half the export's time.
 */
export function windowSource(filter: AuditFilter, [after, upTo]: [number, number]): SQL {
  const conditions: SQL[] = []
  if (filter.from) conditions.push(gte(auditEvents.at, filter.from))
  if (filter.to) conditions.push(lt(auditEvents.at, filter.to))
  if (filter.action) conditions.push(eq(auditEvents.action, filter.action))
  if (filter.decision) conditions.push(eq(auditEvents.decision, filter.decision))
  const window = sql`(select * from audit_events where sequence > ${after} and sequence <= ${upTo} offset 0) as audit_events`
  return conditions.length > 0 ? sql`${window} where ${and(...conditions)}` : window
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
 * How much payload text one page of events may hold. A page of 1,000 events read ahead of the next once
 * built a 2.3 GB page from maximum-size screenings and the process died; now a page ends at the event
 * where its payloads pass this many characters (so it holds at most this plus one event).
 */
export const PAGE_BYTES = 4 * 1024 * 1024

export interface PageOptions {
  /** Sequences per window (the most events a page holds). */
  windowSize?: number
  /** Payload characters per page (see PAGE_BYTES). */
  maxBytes?: number
}

/**
 * Keyset pages in sequence order: each query reads at most one window's events and stops at the byte
 * budget, as a running sum of the payloads' lengths computed by the database. The next page's query
 * runs while the caller handles the current one only when the current page is small (the budget did
 * not cut it), so at most two small pages, or one large one, are in memory.
 */
async function* boundedPages<T extends { sequence: number }>(
  windows: [number, number][],
  maxBytes: number,
  read: (window: [number, number], maxBytes: number) => Promise<{ rows: T[]; cut: boolean }>,
): AsyncGenerator<T[]> {
  let w = 0
  let after = windows[0]?.[0] ?? 0
  const start = () => {
    if (w >= windows.length) return null
    const page = read([after, windows[w]![1]], maxBytes)
    page.catch(() => {}) // a consumer that stops early never awaits it; it must not become unhandled
    return page
  }
  const advance = (page: { rows: T[]; cut: boolean }) => {
    if (page.cut && page.rows.length > 0) after = page.rows[page.rows.length - 1]!.sequence
    else if (++w < windows.length) after = windows[w]![0]
  }
  let next = start()
  while (next) {
    const page = await next
    advance(page)
    // Read ahead only behind a small page; after a cut one, read once the caller is done with it.
    next = page.cut ? null : start()
    if (page.rows.length > 0) yield page.rows
    next ??= start()
  }
}

/**
 * The SQL of one byte-bounded page: the window's rows with the running length of their payloads, kept
 * while the payloads before each row stay under the budget (the first row always).
 */
function boundedWindowSql(columns: SQL, filter: AuditFilter, window: [number, number], maxBytes: number) {
  return sql`select * from (select ${columns},
      sum(octet_length(payload::text)) over (order by sequence) as running_bytes,
      octet_length(payload::text) as payload_bytes
      from ${windowSource(filter, window)}) as page
    where running_bytes - payload_bytes < ${maxBytes} order by sequence`
}

const cutAt = <T>(rows: (T & { running_bytes: string | number })[], maxBytes: number) =>
  rows.length > 0 && Number(rows[rows.length - 1]!.running_bytes) >= maxBytes

/**
 * Pages for export, with the JSON members left as the database's JSON text: parsing and re-serialising
 * every payload cost more than everything else in an export. `at` is formatted as `Date#toISOString()`
 * writes it, so an exported event has the same members and values as the hashed one (JSON whitespace
 * inside members may differ; verification hashes parsed values). Pages are bounded by bytes (PAGE_BYTES).
 */
export async function* readEventPages(
  db: Db,
  filter: AuditFilter,
  { windowSize = 1_000, maxBytes = PAGE_BYTES }: PageOptions = {},
): AsyncGenerator<EventText[]> {
  const columns = sql`sequence, (extract(epoch from at) * 1000)::float8 as at, action,
        actor::text as actor, subject::text as subject, decision, registry_version as "registryVersion",
        request_id as "requestId", payload::text as payload, prev_hash as "prevHash", hash`
  yield* boundedPages(await sequenceWindows(db, filter, windowSize), maxBytes, async (window, budget) => {
    const rows = await queryRows<
      EventText & { sequence: string | number; running_bytes: string | number; payload_bytes: unknown }
    >(db, boundedWindowSql(columns, filter, window, budget))
    const cut = cutAt(rows, budget)
    // `at` arrives as epoch milliseconds: formatting it here is cheaper than to_char in the database.
    const events: EventText[] = rows.map((row) => ({
      sequence: Number(row.sequence),
      at: new Date(Number(row.at)).toISOString(),
      action: row.action,
      actor: row.actor,
      subject: row.subject,
      decision: row.decision,
      registryVersion: row.registryVersion,
      requestId: row.requestId,
      payload: row.payload,
      prevHash: row.prevHash,
      hash: row.hash,
    }))
    return { rows: events, cut }
  })
}

/**
 * `eventTextToJsonLine` in SQL, so PostgreSQL writes the export lines itself (see `ndjsonCopyStatements`).
 * `at` as `Date#toISOString()` writes it; text members as JSON strings; JSON members as their text.
 */
const NDJSON_LINE = sql.raw(
  // concat() builds the line once; a chain of || copied the growing line at every step (~10 % slower).
  `concat('{"sequence":', sequence, ',"at":"', to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  '","action":', to_json(action), ',"actor":', actor, ',"subject":', subject,
  ',"decision":', coalesce(to_json(decision)::text, 'null'),
  ',"registryVersion":', coalesce(to_json(registry_version)::text, 'null'),
  ',"requestId":', coalesce(to_json(request_id)::text, 'null'), ',"payload":', payload,
  ',"prevHash":', to_json(prev_hash), ',"hash":', to_json(hash), '}')`,
)

/**
 * The NDJSON export as COPY statements, one per sequence window (as `readEventPages` reads them), whose
 * output is the export itself. CSV with delimiter and quote characters that JSON text can never contain
 * raw (control characters are always escaped in it), so each line comes out exactly as built, plus a
 * newline. COPY takes no parameters: the filter values are inlined as escaped literals. Windows of 2,000
 * events (~1–9 MB of output) so that the next window fits the read-ahead of `Database#copyOut` and two
 * backends stay busy; with larger windows the second one would wait most of the time.
 */
export async function ndjsonCopyStatements(
  db: Db,
  filter: AuditFilter,
  windowSize = 2_000,
): Promise<string[]> {
  const dialect = new PgDialect()
  return (await sequenceWindows(db, filter, windowSize)).map(
    (window) =>
      dialect.sqlToQuery(
        sql`copy (select ${NDJSON_LINE} from ${windowSource(filter, window)} order by sequence)
          to stdout with (format csv, delimiter e'\x02', quote e'\x01')`.inlineParams(),
      ).sql,
  )
}

const json = JSON.stringify

/**
 * An exported event back into the hashed object, all but its payload, which stays text for
 * `ChainVerifier#push` (parsing a large payload cost more than hashing it).
 */
export function eventOfText(e: EventText): AuditEvent {
  return {
    sequence: e.sequence,
    at: e.at,
    action: e.action as AuditAction,
    actor: JSON.parse(e.actor) as AuditActor,
    subject: JSON.parse(e.subject) as Record<string, string>,
    decision: e.decision,
    registryVersion: e.registryVersion,
    requestId: e.requestId,
    payload: undefined,
    prevHash: e.prevHash,
    hash: e.hash,
  }
}

/** One NDJSON line: the members in the order of `AuditEvent`, JSON members spliced in as text. */
export function eventTextToJsonLine(e: EventText): string {
  return (
    `{"sequence":${e.sequence},"at":${json(e.at)},"action":${json(e.action)},"actor":${e.actor},` +
    `"subject":${e.subject},"decision":${json(e.decision)},"registryVersion":${json(e.registryVersion)},` +
    `"requestId":${json(e.requestId)},"payload":${e.payload},"prevHash":${json(e.prevHash)},"hash":${json(e.hash)}}\n`
  )
}
