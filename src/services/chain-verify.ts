import crypto, { type KeyObject } from 'node:crypto'
import { and, asc, gt, gte, lt, lte, type SQL, sql } from 'drizzle-orm'
import { type ChainVerdict, ChainVerifier } from '../core/audit-chain.ts'
import {
  type Checkpoint,
  checkpointMessage,
  checkpointSignatureValid,
  publicKeysOfPem,
} from '../core/checkpoint.ts'
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

/** Signature checks in flight at once (on libuv's thread pool), behind the walk. */
const SIGNATURES_IN_FLIGHT = 64

/**
 * Ed25519 signature checks on libuv's thread pool, in sequence order: one costs 120–300 µs of CPU, and a
 * log of one-screening batches has a checkpoint per event, so on the event loop they would hold every
 * other request up for ~0.3 s per thousand, and on one core they would not overlap the walk's hashing.
 */
class SignatureChecks {
  private readonly queue: { checkpoint: Checkpoint; valid: Promise<boolean> }[] = []

  /** Starts checking `checkpoint`; the first checkpoint found invalid so far (in sequence order), or null. */
  async add(checkpoint: Checkpoint, key: KeyObject): Promise<Checkpoint | null> {
    const valid = new Promise<boolean>((resolve) =>
      crypto.verify(
        null,
        checkpointMessage(checkpoint),
        key,
        Buffer.from(checkpoint.signature, 'base64'),
        (err, ok) => resolve(!err && ok),
      ),
    )
    this.queue.push({ checkpoint, valid })
    while (this.queue.length > SIGNATURES_IN_FLIGHT) {
      const head = this.queue.shift()!
      if (!(await head.valid)) return head.checkpoint
    }
    return null
  }

  /** Waits for every check started; the first invalid checkpoint, or null. */
  async drain(): Promise<Checkpoint | null> {
    for (let head = this.queue.shift(); head; head = this.queue.shift())
      if (!(await head.valid)) return head.checkpoint
    return null
  }
}

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
  const unknownKey = (c: Checkpoint) =>
    `the checkpoint at sequence ${c.sequence} (signed at ${c.at}) names key ${c.keyId}, which is not among the keys this service signed with (GET /v1/audit/public-keys)`
  const badSignature = (c: Checkpoint) =>
    `the checkpoint at sequence ${c.sequence} (signed at ${c.at}) has a signature that does not verify under key ${c.keyId}: the checkpoint was forged or altered`
  const signatureProblem = (c: Checkpoint): string | null => {
    const key = keys.get(c.keyId)
    if (!key) return unknownKey(c)
    return checkpointSignatureValid(c, key) ? null : badSignature(c)
  }

  const signatures = new SignatureChecks()
  const checkpoints = storedCheckpoints(db, range, upTo)
  const nextCheckpoint = async () => (await checkpoints.next()).value ?? null
  let pending = upTo > 0 ? await nextCheckpoint() : null
  let checkpointsChecked = 0
  let verifier: ChainVerifier | null = null
  let last: number | null = null
  /** What the checkpoints showed wrong; the answer names the earliest of these and the chain's own. */
  const problems: { sequence: number; reason: string }[] = []
  /** Waits for the signature checks started (every one for a checkpoint before the walk's place). */
  const settleSignatures = async () => {
    const forged = await signatures.drain()
    if (forged) problems.push({ sequence: forged.sequence, reason: badSignature(forged) })
  }
  try {
    pages: for await (const page of readEventPages(db, range))
      for (const stored of page) {
        verifier ??= new ChainVerifier(stored.sequence > 1 ? await readTail(db, stored.sequence) : null)
        if (!verifier.push(eventOfText(stored), stored.payload)) {
          await settleSignatures()
          break pages
        }
        last = stored.sequence
        while (pending && pending.sequence <= stored.sequence) {
          const key = keys.get(pending.keyId)
          const problem = !key
            ? unknownKey(pending)
            : pending.sequence < stored.sequence
              ? (signatureProblem(pending) ??
                `the checkpoint at sequence ${pending.sequence} (signed at ${pending.at}) has no event at its sequence and time: the event was deleted or its time changed`)
              : pending.hash !== stored.hash
                ? (signatureProblem(pending) ??
                  `the hash at sequence ${pending.sequence} differs from the checkpoint signed at ${pending.at}: the history was rewritten`)
                : null
          if (problem) {
            problems.push({ sequence: pending.sequence, reason: problem })
            await settleSignatures()
            break pages
          }
          const forged = await signatures.add(pending, key!)
          if (forged) {
            problems.push({ sequence: forged.sequence, reason: badSignature(forged) })
            break pages
          }
          checkpointsChecked++
          pending = await nextCheckpoint()
        }
      }
    verifier ??= new ChainVerifier(null)
    if (problems.length === 0 && verifier.verdict().ok) await settleSignatures()
    if (pending && problems.length === 0 && verifier.verdict().ok) {
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
      const ends =
        last === null
          ? range.from || range.to
            ? 'the range has no events'
            : 'the chain has no events'
          : `the chain ends at sequence ${last}`
      // A forged checkpoint far ahead would otherwise read as a deleted tail.
      const forged = signatureProblem(top)
      problems.push(
        forged
          ? { sequence: top.sequence, reason: forged }
          : {
              sequence: last === null ? pending.sequence : last + 1,
              reason: `${ends}, but a checkpoint signed at ${top.at} covers events up to sequence ${top.sequence}: the tail is missing (its events were deleted)`,
            },
      )
    }
  } finally {
    await checkpoints.return(undefined)
  }
  const verdict = (verifier ?? new ChainVerifier(null)).verdict()
  const chain = verdict.ok ? [] : [{ sequence: verdict.firstBrokenSequence!, reason: verdict.reason! }]
  const first = [...chain, ...problems].sort((a, b) => a.sequence - b.sequence)[0]
  if (!first) return { ...verdict, checkpointsChecked }
  return {
    ...verdict,
    ok: false,
    firstBrokenSequence: first.sequence,
    reason: first.reason,
    checkpointsChecked,
  }
}
