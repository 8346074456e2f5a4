import { and, asc, gt, gte, lt, lte, type SQL, sql } from 'drizzle-orm'
import { type ChainVerdict, ChainVerifier } from '../core/audit-chain.ts'
import { type Checkpoint, checkpointSignatureValid, publicKeysOfPem } from '../core/checkpoint.ts'
import { type Db, queryRows } from '../db/client.ts'
import { auditCheckpoints } from '../db/schema.ts'
import { eventOfText, readEventPages, readTail } from './audit-log.ts'
import { listPublicKeys } from './checkpoint-log.ts'

/** `GET /v1/audit/verify`'s answer: the chain's verdict and how many stored checkpoints it was held to. */
export interface StoredChainVerdict extends ChainVerdict {
  /** Stored checkpoints whose signature verified and whose sequence and hash the chain matched. */
  checkpointsChecked: number
}

export interface VerifyRange {
  from?: Date | undefined
  to?: Date | undefined
}

/** Checkpoints read per query while the chain is walked. */
const CHECKPOINT_PAGE = 1_000

/**
 * The stored checkpoints of a time range (their signed `at`, which is the `at` of their batch's events, so
 * they are the checkpoints of the range's events) up to sequence `upTo`, in sequence order, a page at a
 * time.
 */
async function* storedCheckpoints(db: Db, range: VerifyRange, upTo: number): AsyncGenerator<Checkpoint> {
  let after = 0
  for (;;) {
    const conditions: SQL[] = [gt(auditCheckpoints.sequence, after), lte(auditCheckpoints.sequence, upTo)]
    // `at` is stored as signed, an ISO string of fixed width, whose text order is time order.
    if (range.from) conditions.push(gte(auditCheckpoints.at, range.from.toISOString()))
    if (range.to) conditions.push(lt(auditCheckpoints.at, range.to.toISOString()))
    const rows = await db
      .select()
      .from(auditCheckpoints)
      .where(and(...conditions))
      .orderBy(asc(auditCheckpoints.sequence))
      .limit(CHECKPOINT_PAGE)
    for (const r of rows)
      yield { sequence: Number(r.sequence), hash: r.hash, at: r.at, keyId: r.keyId, signature: r.signature }
    if (rows.length < CHECKPOINT_PAGE) return
    after = Number(rows[rows.length - 1]!.sequence)
  }
}

/**
 * Verifies the stored chain over a time range (every event when neither bound is given) and holds it to
 * the stored signed checkpoints of that range: each checkpoint's signature must verify under a key the
 * service has signed with (`audit_signing_keys`, keyed by the id computed from each public key), the
 * chain must have an event at its sequence, and that event's hash must be the signed one. A chain that
 * was rewritten consistently after an event (every later hash recomputed) fails at the first checkpoint
 * it passed; a chain whose last events were deleted fails at the event after its end, since a checkpoint
 * signs a later sequence.
 *
 * Concurrent appends: every checkpoint is committed with its batch's events, so the highest stored
 * checkpoint, read before the events are, is never above the chain's head then or later; checkpoints
 * committed after that read are left out, and can raise no false alarm of a missing tail.
 */
export async function verifyStoredChain(db: Db, range: VerifyRange): Promise<StoredChainVerdict> {
  const [bound] = await queryRows<{ s: string | number | null }>(
    db,
    sql`select max(sequence) as s from audit_checkpoints`,
  )
  const upTo = Number(bound?.s ?? 0)
  const keys = publicKeysOfPem((await listPublicKeys(db)).map((k) => k.publicKeyPem).join('\n'))
  const signatureProblem = (c: Checkpoint): string | null => {
    const key = keys.get(c.keyId)
    if (!key)
      return `the checkpoint at sequence ${c.sequence} (signed at ${c.at}) names key ${c.keyId}, which is not among the keys this service signed with (GET /v1/audit/public-keys)`
    if (!checkpointSignatureValid(c, key))
      return `the checkpoint at sequence ${c.sequence} (signed at ${c.at}) has a signature that does not verify under key ${c.keyId}: the checkpoint was forged or altered`
    return null
  }

  const checkpoints = storedCheckpoints(db, range, upTo)
  const nextCheckpoint = async () => (await checkpoints.next()).value ?? null
  let pending = upTo > 0 ? await nextCheckpoint() : null
  let checkpointsChecked = 0
  let verifier: ChainVerifier | null = null
  let last: number | null = null
  try {
    pages: for await (const page of readEventPages(db, range))
      for (const stored of page) {
        verifier ??= new ChainVerifier(stored.sequence > 1 ? await readTail(db, stored.sequence) : null)
        if (!verifier.push(eventOfText(stored), stored.payload)) break pages
        last = stored.sequence
        while (pending && pending.sequence <= stored.sequence) {
          const problem =
            signatureProblem(pending) ??
            (pending.sequence < stored.sequence
              ? `the checkpoint at sequence ${pending.sequence} (signed at ${pending.at}) has no event at its sequence and time: the event was deleted or its time changed`
              : pending.hash !== stored.hash
                ? `the hash at sequence ${pending.sequence} differs from the checkpoint signed at ${pending.at}: the history was rewritten`
                : null)
          if (problem) {
            verifier.failAt(pending.sequence, problem)
            break pages
          }
          checkpointsChecked++
          pending = await nextCheckpoint()
        }
      }
    verifier ??= new ChainVerifier(null)
    if (pending && verifier.verdict().ok) {
      // Checkpoints past the last event sign events the chain no longer has. The latest says how far it went.
      const [latest] = await db
        .select()
        .from(auditCheckpoints)
        .where(
          and(
            lte(auditCheckpoints.sequence, upTo),
            range.to ? lt(auditCheckpoints.at, range.to.toISOString()) : undefined,
          ),
        )
        .orderBy(sql`${auditCheckpoints.sequence} desc`)
        .limit(1)
      const top: Checkpoint = latest ? { ...latest, sequence: Number(latest.sequence) } : pending
      const forged = signatureProblem(top)
      const ends =
        last === null
          ? range.from || range.to
            ? 'the range has no events'
            : 'the chain has no events'
          : `the chain ends at sequence ${last}`
      if (forged) verifier.failAt(top.sequence, forged)
      else
        verifier.failAt(
          last === null ? pending.sequence : last + 1,
          `${ends}, but a checkpoint signed at ${top.at} covers events up to sequence ${top.sequence}: the tail is missing (its events were deleted)`,
        )
    }
  } finally {
    await checkpoints.return(undefined)
  }
  return { ...verifier.verdict(), checkpointsChecked }
}
