import { and, asc, gt, gte, lt, type SQL } from 'drizzle-orm'
import type { Checkpoint } from '../core/checkpoint.ts'
import type { Db } from '../db/client.ts'
import { auditCheckpoints, auditSigningKeys } from '../db/schema.ts'

export interface CheckpointFilter {
  from?: Date | undefined
  to?: Date | undefined
  /** The sequence after which the page starts (the previous page's `nextCursor`). */
  cursor?: number | undefined
  limit: number
}

/**
 * Checkpoints in sequence order, a keyset page at a time. `from`/`to` select by the signed time, which is
 * the time of the batch's events: the checkpoints of a time range are those an export of the same range
 * needs to be checked against.
 */
export async function listCheckpoints(
  db: Db,
  filter: CheckpointFilter,
): Promise<{ items: Checkpoint[]; nextCursor: string | null }> {
  const conditions: SQL[] = []
  // `at` is stored as signed, an ISO string of fixed width, whose text order is time order.
  if (filter.from) conditions.push(gte(auditCheckpoints.at, filter.from.toISOString()))
  if (filter.to) conditions.push(lt(auditCheckpoints.at, filter.to.toISOString()))
  if (filter.cursor !== undefined) conditions.push(gt(auditCheckpoints.sequence, filter.cursor))
  const rows = await db
    .select()
    .from(auditCheckpoints)
    .where(and(...conditions))
    .orderBy(asc(auditCheckpoints.sequence))
    .limit(filter.limit + 1)
  const page = rows.slice(0, filter.limit).map((r) => ({
    sequence: Number(r.sequence),
    hash: r.hash,
    at: r.at,
    keyId: r.keyId,
    signature: r.signature,
  }))
  return {
    items: page,
    nextCursor: rows.length > filter.limit ? String(page[page.length - 1]!.sequence) : null,
  }
}

export interface PublicKeyEntry {
  algorithm: 'Ed25519'
  keyId: string
  publicKeyPem: string
  firstUsedAt: string
}

/** Every key that ever signed here, oldest first. */
export async function listPublicKeys(db: Db): Promise<PublicKeyEntry[]> {
  const rows = await db.select().from(auditSigningKeys).orderBy(asc(auditSigningKeys.firstUsedAt))
  return rows.map((r) => ({
    algorithm: 'Ed25519',
    keyId: r.keyId,
    publicKeyPem: r.publicKeyPem,
    firstUsedAt: r.firstUsedAt.toISOString(),
  }))
}
