import { sql } from 'drizzle-orm'
import { type AuditEventBody, hashEvent } from '../../src/core/audit-chain.ts'
import { queryRows } from '../../src/db/client.ts'
import type { TestApp } from './test-app.ts'

/** Recomputes every hash from `from` on, so the chain itself is consistent again (checkpoints are left). */
export async function relink(db: TestApp['runtime']['database']['db'], from: number) {
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select sequence, at, action, actor, subject, decision, registry_version, request_id, payload::text as payload
      from audit_events where sequence >= ${from} order by sequence`,
  )
  let [prev] = await queryRows<{ hash: string }>(
    db,
    sql`select hash from audit_events where sequence = ${from - 1}`,
  )
  for (const r of rows) {
    const body: AuditEventBody = {
      sequence: Number(r.sequence),
      at: new Date(r.at as string).toISOString(),
      action: r.action as AuditEventBody['action'],
      actor: r.actor as AuditEventBody['actor'],
      subject: r.subject as Record<string, string>,
      decision: r.decision as string | null,
      registryVersion: r.registry_version as string | null,
      requestId: r.request_id as string | null,
      payload: JSON.parse(r.payload as string),
      prevHash: prev!.hash,
    }
    const hash = hashEvent(body)
    await db.execute(
      sql`update audit_events set prev_hash = ${body.prevHash}, hash = ${hash} where sequence = ${body.sequence}`,
    )
    prev = { hash }
  }
}
