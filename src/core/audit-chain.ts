import crypto from 'node:crypto'
import { canonicalJson } from './canonical-json.ts'
import { DuplicateKeyError, parseStrictJson } from './strict-json.ts'

export const GENESIS_HASH = `sha256:${'0'.repeat(64)}`

export type AuditAction =
  | 'screening.created'
  | 'review.resolved'
  | 'registry.imported'
  | 'registry.activated'
  | 'key.created'
  | 'key.revoked'

export interface AuditActor {
  keyId: string | null
  name: string
  role: string
}

/** An audit event exactly as exported and hashed (the export adds `hash`). */
export interface AuditEventBody {
  sequence: number
  at: string
  action: AuditAction
  actor: AuditActor
  subject: Record<string, string>
  decision: string | null
  registryVersion: string | null
  requestId: string | null
  payload: unknown
  prevHash: string
}

export interface AuditEvent extends AuditEventBody {
  hash: string
}

/** hash = sha256(prevHash + RFC 8785 canonical JSON of the event without its hash). */
export function hashEvent(body: AuditEventBody): string {
  return hashEventWithPayload(body, canonicalJson(body.payload))
}

const json = JSON.stringify

/**
 * `hashEvent` with the payload already canonicalised, so the appender can canonicalise before it takes the
 * chain lock. The members are written in RFC 8785 order (UTF-16 code-unit order of the keys); a property
 * test holds the result equal to hashing the library's canonical JSON of the whole event.
 */
export function hashEventWithPayload(body: AuditEventBody, canonicalPayload: string): string {
  const canonical =
    `{"action":${json(body.action)},"actor":${canonicalJson(body.actor)},"at":${json(body.at)},` +
    `"decision":${json(body.decision)},"payload":${canonicalPayload},"prevHash":${json(body.prevHash)},` +
    `"registryVersion":${json(body.registryVersion)},"requestId":${json(body.requestId)},` +
    `"sequence":${json(body.sequence)},"subject":${canonicalJson(body.subject)}}`
  return `sha256:${crypto.hash('sha256', body.prevHash + canonical, 'hex')}`
}

/**
 * An event's payload with the caller's own X-Request-Id, when it sent one, as `clientRequestId`. The event's
 * `requestId` is the id this server gave the request (before, a caller's well-formed X-Request-Id became
 * it, so a caller chose what the audit trail called its request). Events written before keep their
 * `requestId` as it was and have no `clientRequestId`: the payload is hashed as a whole, so an added
 * member changes no old event's hash.
 */
export function withClientRequestId<T extends object>(
  payload: T,
  clientRequestId: string | null | undefined,
): T & { clientRequestId?: string } {
  return clientRequestId ? { ...payload, clientRequestId } : payload
}

/** The last event of the chain, which the next one links to. */
export interface ChainTail {
  sequence: number
  hash: string
}

/** An event before it is linked: everything but its position in the chain. */
export interface UnsealedEvent {
  action: AuditAction
  actor: AuditActor
  subject: Record<string, string>
  decision?: string | null
  registryVersion?: string | null
  requestId?: string | null
  payload: unknown
  /** canonicalJson(payload), when the caller computed it already (outside the serialised append). */
  canonicalPayload?: string
}

/** An event as sealed, with the canonical JSON of its payload that was hashed, to be stored as it is. */
export interface SealedEvent extends AuditEvent {
  readonly canonicalPayload: string
}

/** Links events after `tail` (null: the chain is empty), numbering and hashing them in order. */
export function sealEvents(
  pending: readonly UnsealedEvent[],
  tail: ChainTail | null,
  at: string,
): SealedEvent[] {
  let sequence = tail?.sequence ?? 0
  let prevHash = tail?.hash ?? GENESIS_HASH
  return pending.map((p) => {
    sequence += 1
    const body: AuditEventBody = {
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
    const canonicalPayload = p.canonicalPayload ?? canonicalJson(p.payload)
    const hash = hashEventWithPayload(body, canonicalPayload)
    prevHash = hash
    return { ...body, hash, canonicalPayload }
  })
}

export interface ChainVerdict {
  ok: boolean
  checked: number
  firstBrokenSequence: number | null
  reason: string | null
}

/**
 * Checks events in order: each hash recomputes, each links to the previous hash, and sequences have no
 * gaps. `start` is what the first event checked must link to: null for the chain's beginning (sequence 1
 * from the genesis hash), or an event trusted by other means (the database's event before a range, a
 * signed checkpoint). Without a start, a chain whose first events were deleted or cut is broken: it used
 * to verify from whatever its first event said.
 */
export class ChainVerifier {
  private checked = 0
  private broken: { sequence: number; reason: string } | null = null
  private previous: ChainTail

  constructor(start: ChainTail | null) {
    this.previous = start ?? { sequence: 0, hash: GENESIS_HASH }
  }

  /**
   * `payloadText`, when given, is the payload as stored, and `event.payload` is not read. If that text is
   * the canonical JSON that was hashed (the service stores every payload so), hashing it directly
   * proves the stored bytes unchanged without parsing and re-canonicalising them; any other text is
   * parsed and canonicalised, as the definition says, so another spelling of the same value still
   * verifies — but never a text with a key twice in one object (see strict-json.ts).
   */
  push(event: AuditEvent, payloadText?: string): boolean {
    if (this.broken) return false
    this.checked++
    const fail = (reason: string) => {
      this.broken = { sequence: event.sequence, reason }
      return false
    }
    const previous = this.previous
    if (previous.sequence === 0 && event.sequence !== 1)
      return fail(
        `the chain starts at sequence ${event.sequence}, not at sequence 1 from the genesis hash: ` +
          `events before it are missing`,
      )
    if (event.sequence !== previous.sequence + 1)
      return fail(`sequence ${event.sequence} follows ${previous.sequence}: gap or reordering`)
    if (event.prevHash !== previous.hash)
      return fail(
        previous.sequence === 0
          ? 'first event does not start from the genesis hash'
          : `prevHash does not match the hash of sequence ${previous.sequence}`,
      )
    const { hash, ...body } = event
    let matches: boolean
    if (payloadText === undefined) matches = hashEvent(body) === hash
    else if (hashEventWithPayload(body, payloadText) === hash) matches = true
    else {
      let payload: unknown
      try {
        payload = parseStrictJson(payloadText)
      } catch (err) {
        if (err instanceof DuplicateKeyError) return fail(`payload: ${err.message}`)
        return fail('payload is not valid JSON')
      }
      matches = hashEventWithPayload(body, canonicalJson(payload)) === hash
    }
    if (!matches) return fail('hash does not match the event content')
    this.previous = { sequence: event.sequence, hash }
    return true
  }

  /** Call when the input ended early or could not be read. */
  failAt(sequence: number, reason: string): void {
    if (!this.broken) this.broken = { sequence, reason }
  }

  verdict(): ChainVerdict {
    return {
      ok: this.broken === null,
      checked: this.checked,
      firstBrokenSequence: this.broken?.sequence ?? null,
      reason: this.broken?.reason ?? null,
    }
  }
}
