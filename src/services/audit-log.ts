import { and, asc, eq, gte, lt, sql } from 'drizzle-orm'
import {
  type AuditAction,
  type AuditActor,
  type AuditEvent,
  canonicalJson,
  GENESIS_HASH,
  hashEventWithPayload,
} from '../core/audit-chain.ts'
import { bulkInsert } from '../db/bulk-insert.ts'
import { type Db, queryRows, type Tx } from '../db/client.ts'
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

const AUDIT_COLUMNS = {
  sequence: 'bigint',
  at: 'timestamptz',
  action: 'text',
  actor: 'jsonb',
  subject: 'jsonb',
  decision: 'text',
  registry_version: 'text',
  request_id: 'text',
  payload: 'jsonb',
  prev_hash: 'text',
  hash: 'text',
} as const

const toRow = (e: AuditEvent) => ({
  sequence: e.sequence,
  at: e.at,
  action: e.action,
  actor: e.actor,
  subject: e.subject,
  decision: e.decision,
  registry_version: e.registryVersion,
  request_id: e.requestId,
  payload: e.payload,
  prev_hash: e.prevHash,
  hash: e.hash,
})

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
  await bulkInsert(tx, 'audit_events', AUDIT_COLUMNS, sealed.map(toRow))
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

/** Keyset pages over the log: memory stays bounded whatever the range. */
export async function* readEvents(db: Db, filter: AuditFilter, pageSize = 1_000): AsyncGenerator<AuditEvent> {
  let after = (filter.fromSequence ?? 1) - 1
  for (;;) {
    const conditions = [sql`${auditEvents.sequence} > ${after}`]
    if (filter.from) conditions.push(gte(auditEvents.at, filter.from))
    if (filter.to) conditions.push(lt(auditEvents.at, filter.to))
    if (filter.action) conditions.push(eq(auditEvents.action, filter.action))
    if (filter.decision) conditions.push(eq(auditEvents.decision, filter.decision))
    const rows = await db
      .select()
      .from(auditEvents)
      .where(and(...conditions))
      .orderBy(asc(auditEvents.sequence))
      .limit(pageSize)
    for (const row of rows) yield rowToEvent(row)
    if (rows.length < pageSize) return
    after = Number(rows[rows.length - 1]!.sequence)
  }
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
