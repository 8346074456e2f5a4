import crypto from 'node:crypto'
import { and, desc, eq, gte, lt, lte, type SQL, sql } from 'drizzle-orm'
import { uuidv7 } from 'uuidv7'
import { answerLinesJson } from '../core/answer-json.ts'
import { withClientRequestId } from '../core/audit-chain.ts'
import { canonicalJson, canonicalMembers, canonicalObject } from '../core/canonical-json.ts'
import type { Checkpoint } from '../core/checkpoint.ts'
import type { ReceivedMessage } from '../core/dec-message.ts'
import { type Extracted, unreadableCasAdvisory } from '../core/declaration-elements.ts'
import { type LineFacts, type LineFirsts, lineFacts } from '../core/line-facts.ts'
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
import { CHAIN_LOCKED } from './audit-log.ts'
import { AppError, notFound, unavailable } from './errors.ts'
import type { FeedDraft } from './event-feed.ts'
import type { CommitItem, GroupCommitter, StageRows } from './group-commit.ts'
import type { Caller } from './key-service.ts'
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
  /** The newest re-screen of this screening, null when none. */
  supersededBy: string | null
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
  /** The caller's organisation: its Idempotency-Keys' scope, and the owner of a new screening. */
  organisation: string
  requestId: string
  /** The caller's own X-Request-Id, recorded in the payload (see withClientRequestId). */
  clientRequestId?: string | null | undefined
  idempotencyKey?: string | undefined
  /** Set by `rescreen`: the screening screened again and what decides the new one's organisation and review. */
  rescreen?: RescreenOf | undefined
  asOf?: string | undefined
  /**
   * A screening of a DecMessage: the message as received (absent on a re-screen, which uses the mapped
   * request) and what each request line's GModel and Stuff gave, in the order of `request.lines`.
   */
  decMessage?: { message?: ReceivedMessage | undefined; extracted: readonly Extracted[] } | undefined
}

interface RescreenOf {
  id: string
  /** The original's organisation, which the re-screen belongs to, so its screeners see it. */
  organisation: string
  decision: Outcome
  /** The original's review case is resolved: an unchanged decision then opens no new case. */
  reviewResolved: boolean
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
  /** The review case it opens (REVIEW lines), named before the commit so the feed can name it too. */
  reviewId: string | null
  facts: (LineFacts & LineFirsts)[]
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
    // Idempotency-Keys are scoped to the caller's organisation (contract §11): a rotated key replays.
    const idemKey = input.idempotencyKey ? `${input.organisation}|${input.idempotencyKey}` : null
    // Only requests under one key are ever compared, and they are compared with their defaults written out.
    // A message's hash is its received bytes' digest: the same message replays even on a later day, when an
    // IEDate-less message would map to another date. A re-screen's request is "screen X again": the same
    // key used for another screening, or for a new declaration, is a different request.
    const hash = input.rescreen
      ? requestHash(`rescreen:${input.rescreen.id}`)
      : input.decMessage?.message
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
          eq(screenings.actorOrganisation, input.organisation),
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
      ...(input.rescreen ? { rescreenOf: input.rescreen.id } : {}),
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
    // A re-screen that decides as its original did, whose review an officer closed already, needs no new
    // case: the original's disposition stands.
    const settled = input.rescreen?.reviewResolved && input.rescreen.decision === result.decision
    const reviewLines = settled
      ? []
      : lines
          .filter((l) => l.decision === 'REVIEW')
          .map((l) => ({ lineNo: l.lineNo, reasons: l.reasons.filter((r) => r.outcome === 'REVIEW') }))
    const facts = this.options.lineFacts ? lineFacts(input.request, prepared, result.lines) : []
    const reviewId = reviewLines.length > 0 ? uuidv7() : null
    return {
      id,
      input,
      response,
      members,
      hash,
      canonicalRequest,
      canonicalResponse,
      reviewLines,
      reviewId,
      facts,
    }
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
          ...(p.input.rescreen ? { rescreenOf: p.input.rescreen.id } : {}),
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
      feed: feedOfScreening(p),
      screening: p,
    }
  }

  async get(id: string, viewer: Viewer): Promise<StoredScreening> {
    const [row] = await this.db
      .select({
        ...storedAnswer,
        organisation: screenings.organisation,
        supersededBy: screenings.supersededBy,
      })
      .from(screenings)
      .innerJoin(auditEvents, ITS_AUDIT_EVENT)
      .where(eq(screenings.id, id))
    if (!row || !canSee(viewer, row.organisation)) throw notFound(`screening ${id}`)
    const [review] = await this.db.select().from(reviewCases).where(eq(reviewCases.screeningId, id))
    return {
      ...answerOf(row),
      reviewId: review?.id ?? null,
      disposition: review ? dispositionOf(review) : null,
      supersededBy: row.supersededBy,
    }
  }

  async list(
    filter: ScreeningFilter,
    viewer: Viewer,
  ): Promise<{ items: ScreeningSummary[]; nextCursor: string | null }> {
    const conditions = []
    if (viewer.principal.role === 'screener')
      conditions.push(eq(screenings.organisation, viewer.organisation))
    if (filter.decision) conditions.push(eq(screenings.decision, filter.decision))
    if (filter.declarationId) conditions.push(eq(screenings.declarationId, filter.declarationId))
    if (filter.from) conditions.push(gte(screenings.createdAt, filter.from))
    if (filter.to) conditions.push(lt(screenings.createdAt, filter.to))
    if (filter.asOfFrom) conditions.push(gte(screenings.asOf, filter.asOfFrom))
    if (filter.asOfTo) conditions.push(lte(screenings.asOf, filter.asOfTo))
    if (filter.updatedSince) conditions.push(gte(screenings.updatedAt, filter.updatedSince))
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
        updatedAt: screenings.updatedAt,
        actor: screenings.actor,
        rescreenOf: screenings.rescreenOf,
        supersededBy: screenings.supersededBy,
        stricterToday: screenings.stricterToday,
        review: reviewCases,
      })
      .from(screenings)
      .leftJoin(reviewCases, eq(reviewCases.screeningId, screenings.id))
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
        updatedAt: r.updatedAt.toISOString(),
        actor: r.actor as ScreeningSummary['actor'],
        rescreenOf: r.rescreenOf,
        supersededBy: r.supersededBy,
        reviewId: r.review?.id ?? null,
        disposition: r.review ? dispositionOf(r.review) : null,
        stricterToday: r.stricterToday,
      })),
      nextCursor: rows.length > filter.limit ? page[page.length - 1]!.id : null,
    }
  }

  /** Screens a stored declaration again, on the active registry and the same as-of date. */
  async rescreen(
    id: string,
    caller: Viewer,
    requestId: string,
    {
      idempotencyKey,
      clientRequestId = null,
    }: { idempotencyKey?: string | undefined; clientRequestId?: string | null | undefined } = {},
  ): Promise<{ answer: ScreeningAnswer; replayed: boolean }> {
    const [row] = await this.db
      .select({
        payload: auditEvents.payload,
        asOf: screenings.asOf,
        organisation: screenings.organisation,
        decision: screenings.decision,
        reviewStatus: reviewCases.status,
      })
      .from(screenings)
      .innerJoin(auditEvents, ITS_AUDIT_EVENT)
      .leftJoin(reviewCases, eq(reviewCases.screeningId, screenings.id))
      .where(eq(screenings.id, id))
    if (!row || !canSee(caller, row.organisation)) throw notFound(`screening ${id}`)
    const stored = row.payload as ScreeningPayload
    // A DecMessage screening is screened again from its mapped request; what was read from GModel and
    // Stuff (and any unreadable CAS token) comes along, so the officer still sees it.
    const extracted = stored.response.lines.map((line) => line.extracted)
    return this.screen({
      request: stored.request,
      actor: caller.principal,
      organisation: caller.organisation,
      requestId,
      idempotencyKey,
      clientRequestId,
      rescreen: {
        id,
        organisation: row.organisation,
        decision: row.decision as Outcome,
        reviewResolved: row.reviewStatus === 'resolved',
      },
      asOf: row.asOf,
      decMessage: extracted.length > 0 && extracted.every((e) => e !== undefined) ? { extracted } : undefined,
    })
  }
}

/** Who reads: a screener sees its organisation's screenings only, the other roles every screening. */
export type Viewer = Caller

export interface ScreeningFilter {
  decision?: Outcome | undefined
  declarationId?: string | undefined
  from?: Date | undefined
  to?: Date | undefined
  /** Business days (`asOf`), both included. */
  asOfFrom?: string | undefined
  asOfTo?: string | undefined
  /** Screenings created, resolved or superseded at or after this instant. */
  updatedSince?: Date | undefined
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
  /** When it was created, its review resolved, or it was superseded, whichever is latest. */
  updatedAt: string
  actor: { keyId: string | null; name: string; role: string }
  rescreenOf: string | null
  supersededBy: string | null
  reviewId: string | null
  disposition: Disposition | null
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

const canSee = (viewer: Viewer, organisation: string) =>
  viewer.principal.role !== 'screener' || viewer.organisation === organisation

/** A review case's resolution, the screening's final outcome; null while the case is open. */
function dispositionOf(review: typeof reviewCases.$inferSelect): Disposition | null {
  return review.status === 'resolved'
    ? {
        outcome: review.outcome as Disposition['outcome'],
        reasonCode: review.reasonCode!,
        note: review.note!,
        decidedBy: review.decidedBy as Disposition['decidedBy'],
        decidedAt: review.resolvedAt!.toISOString(),
      }
    : null
}

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
        rescreenOf: input.rescreen?.id ?? null,
        organisation: input.rescreen?.organisation ?? input.organisation,
        actorOrganisation: input.organisation,
        updatedAt: new Date(response.decidedAt),
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
          firstLine: f.firstLine,
          firstGroups: f.firstGroups,
          firstHsGroups: f.firstHsGroups,
          firstPop: f.firstPop,
          firstPopHs: f.firstPopHs,
        }))
      }),
    ),
    supersedeSql(
      pending.flatMap(({ id, input, response }) =>
        input.rescreen ? [{ original: input.rescreen.id, rescreen: id, at: response.decidedAt }] : [],
      ),
    ),
    insertRowsSql(
      reviewCases,
      pending
        .filter((p) => p.reviewId !== null)
        .map((p) => ({
          id: p.reviewId!,
          screeningId: p.id,
          declarationId: p.response.declarationId,
          lines: p.reviewLines,
        })),
    ),
  ]
}

/**
 * What a screening tells the feed: that it was made (or re-made, for a re-screen), and that it opened a
 * review case. Written in the screening's own statement, with its audit event's sequence.
 */
function feedOfScreening(p: PendingScreening): FeedDraft[] {
  const common = {
    at: p.response.decidedAt,
    // A re-screen belongs to the original's organisation, as its screening row does.
    organisation: p.input.rescreen?.organisation ?? p.input.organisation,
    screeningId: p.id,
    declarationId: p.response.declarationId,
    registryVersion: p.response.registry.version,
  }
  const feed: FeedDraft[] = [
    p.input.rescreen
      ? {
          ...common,
          type: 'screening.rescreened',
          decision: p.response.decision,
          rescreenOf: p.input.rescreen.id,
        }
      : { ...common, type: 'screening.created', decision: p.response.decision },
  ]
  if (p.reviewId) feed.push({ ...common, type: 'review.opened', reviewId: p.reviewId, decision: 'REVIEW' })
  return feed
}

/**
 * Points each re-screened original at its newest re-screen and marks it updated, in the batch's statement.
 * One UPDATE for the batch (a row updated twice in one statement keeps only one change), never moving
 * `superseded_by` back to an older re-screen that commits later; the chain lock is taken first, as a
 * review's resolution takes it before it updates the same row.
 */
function supersedeSql(rows: { original: string; rescreen: string; at: string }[]): SQL | null {
  if (rows.length === 0) return null
  return sql`update ${screenings} set superseded_by = r.rescreen, updated_at = greatest(${screenings.updatedAt}, r.at)
    from (select distinct on (original) original, rescreen, at from json_to_recordset(${JSON.stringify(rows)}::json)
      as x(original uuid, rescreen uuid, at timestamptz) order by original, rescreen desc) r
    where ${screenings.id} = r.original and ${CHAIN_LOCKED}
      and (${screenings.supersededBy} is null or ${screenings.supersededBy} < r.rescreen)`
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
