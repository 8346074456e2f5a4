import crypto from 'node:crypto'
import { and, desc, eq, gte, lt, sql } from 'drizzle-orm'
import { uuidv7 } from 'uuidv7'
import { answerLinesJson } from '../core/answer-json.ts'
import { withClientRequestId } from '../core/audit-chain.ts'
import { canonicalJson, canonicalMembers, canonicalObject } from '../core/canonical-json.ts'
import type { Checkpoint } from '../core/checkpoint.ts'
import type { ReceivedMessage } from '../core/dec-message.ts'
import { type Extracted, unreadableCasAdvisory } from '../core/declaration-elements.ts'
import { type LineFacts, lineFacts } from '../core/line-facts.ts'
import { screenDeclaration } from '../core/screen.ts'
import {
  maxAnswerLength,
  prepareDeclaration,
  type ScreeningRequest,
  withDefaults,
} from '../core/screening-request.ts'
import type { RegistrySnapshot } from '../core/snapshot.ts'
import type { Advisory, Outcome, Reason } from '../core/types.ts'
import { insertRowsSql } from '../db/bulk-insert.ts'
import type { Db } from '../db/client.ts'
import { auditEvents, reviewCases, screeningLines, screenings } from '../db/schema.ts'
import type { Principal } from './actor.ts'
import { AppError, notFound, unavailable } from './errors.ts'
import type { CommitItem, GroupCommitter, StageRows } from './group-commit.ts'
import { type Nomenclature, UNDESCRIBED_HS_JSON } from './nomenclature.ts'
import type { RegistryService } from './registry-service.ts'

export interface ScreeningLine {
  lineNo: number
  decision: Outcome
  hs: { code: string; subheading: string | null; description: string | null }
  reasons: Reason[]
  advisories: Advisory[]
  /** DecMessage screenings: what the line's GModel and Stuff gave (dec-message.md §5). */
  extracted?: Extracted
}

export interface ScreeningResponse {
  screeningId: string
  declarationId: string
  decision: Outcome
  decidedAt: string
  asOf: string
  registry: { version: string; hash: string }
  lines: ScreeningLine[]
  rescreenOf?: string
  /**
   * `checkpoint`: the signed checkpoint of the batch that stored it (contract §9), the caller's receipt;
   * null only for a screening stored before checkpoints existed, until a later batch covers it.
   */
  audit: { sequence: number; hash: string; checkpoint: Checkpoint | null }
}

export interface Disposition {
  outcome: 'ALLOW' | 'BLOCK'
  reasonCode: string
  note: string
  decidedBy: { keyId: string | null; name: string; role: string }
  decidedAt: string
}

/**
 * A screening as the route sends it. The body is the answer's canonical JSON (RFC 8785), built from the same
 * member texts as the audit payload that was hashed and stored, plus `audit`: serialised once, validated by
 * the tests against the OpenAPI document rather than at run time.
 */
export interface ScreeningAnswer {
  body: string
  decision: Outcome
  registryVersion: string
  lines: number
}

export interface StoredScreening extends ScreeningResponse {
  disposition: Disposition | null
  reviewId: string | null
}

// Asia/Shanghai has kept UTC+8 without daylight saving since 1991 (a test holds this against the
// time-zone database), so the day there is arithmetic: no Intl formatter on the request path.
const SHANGHAI_OFFSET_MS = 8 * 3_600_000

/** Today's date in China, where the declarations are lodged. */
export function todayInShanghai(now = new Date()): string {
  return new Date(now.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10)
}

/** The idempotency hash, taken over the request's canonical JSON. */
function requestHash(canonicalRequest: string): string {
  return crypto.hash('sha256', canonicalRequest, 'hex')
}

interface ScreenInput {
  request: ScreeningRequest
  actor: Principal
  requestId: string
  /** The caller's own X-Request-Id, recorded in the payload (see withClientRequestId). */
  clientRequestId?: string | null | undefined
  idempotencyKey?: string | undefined
  rescreenOf?: string | undefined
  asOf?: string | undefined
  /**
   * A screening of a DecMessage: the message as received (absent on a re-screen, which uses the mapped
   * request) and what each request line's GModel and Stuff gave, in the order of `request.lines`.
   */
  decMessage?: { message?: ReceivedMessage | undefined; extracted: readonly Extracted[] } | undefined
}

type PendingScreening = {
  id: string
  input: ScreenInput
  response: Omit<ScreeningResponse, 'audit'>
  /** The response's members as canonical JSON, each serialised once: the payload's and the body's text. */
  members: Record<string, string>
  hash: string
  canonicalRequest: string
  canonicalResponse: string
  reviewLines: { lineNo: number; reasons: Reason[] }[]
  facts: LineFacts[]
}

const isUniqueViolation = (err: unknown): boolean => {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause)
    if ((e as { code?: string }).code === '23505') return true
  return false
}

export class ScreeningService {
  /** Idempotency keys whose first request is still running in this process. */
  private readonly inFlight = new Map<string, string>()

  constructor(
    private readonly db: Db,
    private readonly registry: RegistryService,
    private readonly committer: GroupCommitter,
    private readonly nomenclature: Nomenclature,
    /** `lineFacts: false` only in the bench's comparison build without the fact table. */
    private readonly options: { lineFacts: boolean } = { lineFacts: true },
  ) {}

  /** Screens, stores and audits in one commit; answers only once that commit is durable. */
  async screen(input: ScreenInput): Promise<{ answer: ScreeningAnswer; replayed: boolean }> {
    const snapshot = this.registry.current()
    if (!snapshot) throw unavailable('no registry version is active')
    const canonicalRequest = canonicalJson(input.request)
    const idemKey =
      input.idempotencyKey && input.actor.keyId ? `${input.actor.keyId}|${input.idempotencyKey}` : null
    // Only requests under one key are ever compared, and they are compared with their defaults written out.
    // A message's hash is its received bytes' digest: the same message replays even on a later day, when an
    // IEDate-less message would map to another date.
    const hash = input.decMessage?.message
      ? input.decMessage.message.sha256.slice('sha256:'.length)
      : requestHash(idemKey ? canonicalJson(withDefaults(input.request)) : canonicalRequest)
    if (idemKey) {
      // Reserve the key before any await, so a concurrent duplicate sees it as running.
      const running = this.inFlight.get(idemKey)
      if (running !== undefined) throw idempotencyConflict(running === hash)
      this.inFlight.set(idemKey, hash)
    }
    try {
      if (idemKey) {
        const replay = await this.replay(input, hash)
        if (replay) return { answer: replay, replayed: true }
      }
      const pending = this.decide(input, snapshot, hash, canonicalRequest)
      let committed: Awaited<ReturnType<GroupCommitter['submit']>>
      try {
        committed = await this.committer.submit(this.commitItem(pending))
      } catch (err) {
        if (idemKey && isUniqueViolation(err)) {
          // Another process stored the same key first.
          const replay = await this.replay(input, hash)
          if (replay) return { answer: replay, replayed: true }
        }
        throw unavailable('the decision could not be stored durably; no decision was made', err)
      }
      return {
        answer: answer(pending.response, pending.members, {
          sequence: committed.event.sequence,
          hash: committed.event.hash,
          checkpoint: committed.checkpoint,
        }),
        replayed: false,
      }
    } finally {
      if (idemKey) this.inFlight.delete(idemKey)
    }
  }

  private async replay(input: ScreenInput, hash: string): Promise<ScreeningAnswer | null> {
    const [row] = await this.db
      .select({ ...storedAnswer, requestHash: screenings.requestHash })
      .from(screenings)
      .innerJoin(auditEvents, ITS_AUDIT_EVENT)
      .where(
        and(
          eq(screenings.actorKeyId, input.actor.keyId!),
          eq(screenings.idempotencyKey, input.idempotencyKey!),
        ),
      )
    if (!row) return null
    // Keys stored before defaults were written out hold the hash of the request as sent.
    if (row.requestHash !== hash && row.requestHash !== requestHash(canonicalJson(input.request)))
      throw idempotencyConflict(false)
    const { response } = row.payload as ScreeningPayload
    return answer(response, canonicalMembers(response), {
      sequence: Number(row.sequence),
      hash: row.auditHash,
      checkpoint: checkpointOf(row.checkpoint),
    })
  }

  private decide(
    input: ScreenInput,
    snapshot: RegistrySnapshot,
    hash: string,
    canonicalRequest: string,
  ): PendingScreening {
    const today = todayInShanghai()
    const asOf = input.asOf ?? input.request.declaration.date ?? today
    const prepared = prepareDeclaration(input.request, asOf)
    const result = screenDeclaration(prepared, snapshot, { today })
    const id = uuidv7()
    const hsTails: string[] = []
    const lines: ScreeningLine[] = result.lines.map((line, i) => {
      const digits = prepared.lines[i]!.hsDigits
      const described = this.nomenclature.describe(digits)
      hsTails.push(described?.json ?? UNDESCRIBED_HS_JSON)
      const extracted = input.decMessage?.extracted[i]
      return {
        lineNo: line.lineNo,
        decision: line.decision,
        hs: {
          code: digits,
          subheading: described?.code ?? null,
          description: described?.description ?? null,
        },
        reasons: line.reasons,
        advisories: extracted?.unreadable.length
          ? [...line.advisories, ...extracted.unreadable.map(unreadableCasAdvisory)]
          : line.advisories,
        ...(extracted ? { extracted } : {}),
      }
    })
    const response: Omit<ScreeningResponse, 'audit'> = {
      screeningId: id,
      declarationId: input.request.declaration.id,
      decision: result.decision,
      decidedAt: new Date().toISOString(),
      asOf,
      registry: { version: snapshot.version, hash: snapshot.hash },
      lines,
      ...(input.rescreenOf ? { rescreenOf: input.rescreenOf } : {}),
    }
    // The lines and the registry are written from fragments prepared once per snapshot and nomenclature.
    const { lines: _lines, registry: _registry, ...scalars } = response
    const members = {
      ...canonicalMembers(scalars),
      registry: snapshot.json.registry,
      lines: answerLinesJson(lines, snapshot.json, hsTails),
    }
    const canonicalResponse = canonicalObject(members)
    if (canonicalResponse.length > maxAnswerLength(canonicalRequest.length))
      throw new AppError(
        422,
        'ANSWER_TOO_LARGE',
        `the answer would be ${canonicalResponse.length} characters, more than ${maxAnswerLength(canonicalRequest.length)} (30 times the request, at least 64 KiB); split the declaration`,
        { title: 'Declaration too large to answer' },
      )
    const reviewLines = lines
      .filter((l) => l.decision === 'REVIEW')
      .map((l) => ({ lineNo: l.lineNo, reasons: l.reasons.filter((r) => r.outcome === 'REVIEW') }))
    const facts = this.options.lineFacts ? lineFacts(input.request, prepared, result.lines) : []
    return { id, input, response, members, hash, canonicalRequest, canonicalResponse, reviewLines, facts }
  }

  private commitItem(p: PendingScreening): ScreeningCommitItem {
    const message = p.input.decMessage?.message
    return {
      event: {
        action: 'screening.created',
        actor: p.input.actor,
        subject: {
          screeningId: p.id,
          declarationId: p.response.declarationId,
          ...(p.input.rescreenOf ? { rescreenOf: p.input.rescreenOf } : {}),
        },
        decision: p.response.decision,
        registryVersion: p.response.registry.version,
        requestId: p.input.requestId,
        payload: withClientRequestId(
          {
            request: p.input.request,
            ...(message ? { message } : {}),
            response: p.response,
          } satisfies ScreeningPayload,
          p.input.clientRequestId,
        ),
        canonicalPayload: canonicalObject({
          request: p.canonicalRequest,
          ...(message ? { message: canonicalJson(message) } : {}),
          response: p.canonicalResponse,
          ...(p.input.clientRequestId ? { clientRequestId: canonicalJson(p.input.clientRequestId) } : {}),
        }),
      },
      stage: stageScreenings,
      screening: p,
    }
  }

  async get(id: string, viewer: Principal): Promise<StoredScreening> {
    const [row] = await this.db
      .select({ ...storedAnswer, actorKeyId: screenings.actorKeyId })
      .from(screenings)
      .innerJoin(auditEvents, ITS_AUDIT_EVENT)
      .where(eq(screenings.id, id))
    if (!row || !canSee(viewer, row.actorKeyId)) throw notFound(`screening ${id}`)
    const [review] = await this.db.select().from(reviewCases).where(eq(reviewCases.screeningId, id))
    return {
      ...answerOf(row),
      reviewId: review?.id ?? null,
      disposition:
        review?.status === 'resolved'
          ? {
              outcome: review.outcome as Disposition['outcome'],
              reasonCode: review.reasonCode!,
              note: review.note!,
              decidedBy: review.decidedBy as Disposition['decidedBy'],
              decidedAt: review.resolvedAt!.toISOString(),
            }
          : null,
    }
  }

  async list(
    filter: ScreeningFilter,
    viewer: Principal,
  ): Promise<{ items: ScreeningSummary[]; nextCursor: string | null }> {
    const conditions = []
    if (viewer.role === 'screener') conditions.push(eq(screenings.actorKeyId, viewer.keyId!))
    if (filter.decision) conditions.push(eq(screenings.decision, filter.decision))
    if (filter.declarationId) conditions.push(eq(screenings.declarationId, filter.declarationId))
    if (filter.from) conditions.push(gte(screenings.createdAt, filter.from))
    if (filter.to) conditions.push(lt(screenings.createdAt, filter.to))
    if (filter.cursor) conditions.push(lt(screenings.id, filter.cursor))
    if (filter.advisory === 'STRICTER_TODAY') conditions.push(eq(screenings.stricterToday, true))
    const rows = await this.db
      .select({
        id: screenings.id,
        declarationId: screenings.declarationId,
        decision: screenings.decision,
        asOf: screenings.asOf,
        registryVersion: screenings.registryVersion,
        createdAt: screenings.createdAt,
        actor: screenings.actor,
        rescreenOf: screenings.rescreenOf,
        stricterToday: screenings.stricterToday,
      })
      .from(screenings)
      .where(and(...conditions))
      .orderBy(desc(screenings.id))
      .limit(filter.limit + 1)
    const page = rows.slice(0, filter.limit)
    return {
      items: page.map((r) => ({
        screeningId: r.id,
        declarationId: r.declarationId,
        decision: r.decision as Outcome,
        asOf: r.asOf,
        registryVersion: r.registryVersion,
        decidedAt: r.createdAt.toISOString(),
        actor: r.actor as ScreeningSummary['actor'],
        rescreenOf: r.rescreenOf,
        stricterToday: r.stricterToday,
      })),
      nextCursor: rows.length > filter.limit ? page[page.length - 1]!.id : null,
    }
  }

  /** Screens a stored declaration again, on the active registry and the same as-of date. */
  async rescreen(
    id: string,
    actor: Principal,
    requestId: string,
    clientRequestId: string | null = null,
  ): Promise<ScreeningAnswer> {
    const [row] = await this.db
      .select({ payload: auditEvents.payload, asOf: screenings.asOf })
      .from(screenings)
      .innerJoin(auditEvents, ITS_AUDIT_EVENT)
      .where(eq(screenings.id, id))
    if (!row) throw notFound(`screening ${id}`)
    const stored = row.payload as ScreeningPayload
    // A DecMessage screening is screened again from its mapped request; what was read from GModel and
    // Stuff (and any unreadable CAS token) comes along, so the officer still sees it.
    const extracted = stored.response.lines.map((line) => line.extracted)
    const { answer } = await this.screen({
      request: stored.request,
      actor,
      requestId,
      clientRequestId,
      rescreenOf: id,
      asOf: row.asOf,
      decMessage: extracted.length > 0 && extracted.every((e) => e !== undefined) ? { extracted } : undefined,
    })
    return answer
  }
}

export interface ScreeningFilter {
  decision?: Outcome | undefined
  declarationId?: string | undefined
  from?: Date | undefined
  to?: Date | undefined
  cursor?: string | undefined
  /** Only screenings with a line carrying this advisory. */
  advisory?: 'STRICTER_TODAY' | undefined
  limit: number
}

export interface ScreeningSummary {
  screeningId: string
  declarationId: string
  decision: Outcome
  asOf: string
  registryVersion: string
  decidedAt: string
  actor: { keyId: string | null; name: string; role: string }
  rescreenOf: string | null
  /** Some line would be stricter today than on the screening's as-of date. */
  stricterToday: boolean
}

/**
 * What a screening's audit event stores as its payload: the request and the answer, once; for a DecMessage
 * also the message exactly as received (the request is then the one mapped from it).
 */
export interface ScreeningPayload {
  request: ScreeningRequest
  message?: ReceivedMessage
  response: Omit<ScreeningResponse, 'audit'>
  /** The caller's X-Request-Id (screenings since issue 22; see withClientRequestId). */
  clientRequestId?: string
}

/** Joins a screening to the audit event that holds its request and answer. */
export const ITS_AUDIT_EVENT = eq(auditEvents.sequence, screenings.auditSequence)

/**
 * The columns a stored answer is rebuilt from: its audit event's payload, sequence and hash, and the
 * first checkpoint at or after it (its batch's: every batch ends in one).
 */
const storedAnswer = {
  payload: auditEvents.payload,
  sequence: auditEvents.sequence,
  auditHash: auditEvents.hash,
  checkpoint: sql<string | null>`(select json_build_object('sequence', c.sequence, 'hash', c.hash, 'at', c.at,
    'keyId', c.key_id, 'signature', c.signature)::text from audit_checkpoints c
    where c.sequence >= ${auditEvents.sequence} order by c.sequence limit 1)`,
}

/** The answer sent for a stored or new screening: its members' canonical JSON with `audit` added. */
function answer(
  response: Omit<ScreeningResponse, 'audit'>,
  members: Record<string, string>,
  audit: ScreeningResponse['audit'],
): ScreeningAnswer {
  return {
    body: canonicalObject({ ...members, audit: canonicalJson(audit) }),
    decision: response.decision,
    registryVersion: response.registry.version,
    lines: response.lines.length,
  }
}

function checkpointOf(text: string | null): Checkpoint | null {
  return text === null ? null : (JSON.parse(text) as Checkpoint)
}

function answerOf(row: {
  payload: unknown
  sequence: number
  auditHash: string
  checkpoint: string | null
}): ScreeningResponse {
  const { response } = row.payload as ScreeningPayload
  return {
    ...response,
    audit: {
      sequence: Number(row.sequence),
      hash: row.auditHash,
      checkpoint: checkpointOf(row.checkpoint),
    },
  }
}

const canSee = (viewer: Principal, ownerKeyId: string) =>
  viewer.role !== 'screener' || viewer.keyId === ownerKeyId

interface ScreeningCommitItem extends CommitItem {
  screening: PendingScreening
}

/** Screening rows and review cases of a whole batch, written with the batch's audit events. */
const stageScreenings: StageRows = (items) => {
  const pending = items.map(({ item, event }) => ({ ...(item as ScreeningCommitItem).screening, event }))
  return [
    insertRowsSql(
      screenings,
      pending.map(({ id, input, response, hash, event }) => ({
        id,
        declarationId: response.declarationId,
        direction: input.request.declaration.direction,
        asOf: response.asOf,
        decision: response.decision,
        registryVersion: response.registry.version,
        actorKeyId: input.actor.keyId!,
        actor: input.actor,
        requestId: input.requestId,
        idempotencyKey: input.idempotencyKey ?? null,
        requestHash: hash,
        rescreenOf: input.rescreenOf ?? null,
        stricterToday: response.lines.some((l) => l.advisories.some((a) => a.code === 'STRICTER_TODAY')),
        auditSequence: event.sequence,
        // One time per screening: the answer's, which lists show and `from`/`to` filter on.
        createdAt: new Date(response.decidedAt),
      })),
    ),
    insertRowsSql(
      screeningLines,
      pending.flatMap(({ id, input, response, event, facts }) => {
        const { declaration } = input.request
        const decidedAt = new Date(response.decidedAt)
        const decidedDay = todayInShanghai(decidedAt)
        return facts.map((f) => ({
          screeningId: id,
          lineNo: f.lineNo,
          declarationId: response.declarationId,
          direction: declaration.direction,
          decidedAt,
          decidedDay,
          auditSequence: event.sequence,
          registryVersion: response.registry.version,
          declarationDecision: response.decision,
          hsCode: f.hsCode,
          casNumbers: f.casNumbers,
          groups: f.groups,
          reasonCodes: f.reasonCodes,
          decision: f.decision,
          quantity: f.quantity,
          unit: f.unit,
          kilograms: f.kilograms,
          declaredValue: f.declaredValue,
          currency: f.currency,
          tradeCountry: declaration.tradeCountry ?? null,
          customsOffice: declaration.customsOffice ?? null,
        }))
      }),
    ),
    insertRowsSql(
      reviewCases,
      pending
        .filter((p) => p.reviewLines.length > 0)
        .map((p) => ({
          id: uuidv7(),
          screeningId: p.id,
          declarationId: p.response.declarationId,
          lines: p.reviewLines,
        })),
    ),
  ]
}

function idempotencyConflict(sameBody: boolean): AppError {
  return sameBody
    ? new AppError(
        409,
        'IDEMPOTENCY_IN_FLIGHT',
        'a request with this Idempotency-Key is still being processed',
        {
          title: 'Conflict',
          headers: { 'retry-after': '1' },
        },
      )
    : new AppError(
        422,
        'IDEMPOTENCY_KEY_REUSED',
        'this Idempotency-Key was used with a different request body',
        {
          title: 'Idempotency key reused',
        },
      )
}
