import { sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  date,
  index,
  integer,
  json,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow()

export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    role: text('role').notNull(),
    /** First characters of the secret, safe to show so people can tell keys apart. */
    prefix: text('prefix').notNull(),
    /** sha256 of the whole secret; the secret itself is never stored. */
    keyHash: text('key_hash').notNull(),
    /**
     * Whose key it is (contract §11): a screener sees the screenings of its organisation, whichever of its
     * keys made them. Migration 0007 gave each key made before it an organisation of its own, `key-<id>`.
     */
    organisation: text('organisation').notNull().default('default'),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [uniqueIndex('api_keys_key_hash_idx').on(t.keyHash)],
)

export const registryVersions = pgTable(
  'registry_versions',
  {
    version: text('version').primaryKey(),
    contentHash: text('content_hash').notNull(),
    document: jsonb('document').notNull(),
    createdAt: createdAt(),
    createdBy: jsonb('created_by').notNull(),
    active: boolean('active').notNull().default(false),
    activatedAt: timestamp('activated_at', { withTimezone: true, mode: 'date' }),
    activatedBy: jsonb('activated_by'),
  },
  (t) => [uniqueIndex('registry_versions_one_active_idx').on(t.active).where(sql`${t.active}`)],
)

export const screenings = pgTable(
  'screenings',
  {
    id: uuid('id').primaryKey(),
    declarationId: text('declaration_id').notNull(),
    direction: text('direction').notNull(),
    asOf: date('as_of', { mode: 'string' }).notNull(),
    decision: text('decision').notNull(),
    registryVersion: text('registry_version').notNull(),
    actorKeyId: uuid('actor_key_id').notNull(),
    actor: jsonb('actor').notNull(),
    requestId: text('request_id').notNull(),
    idempotencyKey: text('idempotency_key'),
    requestHash: text('request_hash').notNull(),
    rescreenOf: uuid('rescreen_of'),
    /**
     * The organisation the screening belongs to, whose screeners see it: the caller's, or for a re-screen
     * the original's. Kept here so visibility is an indexed filter, not a join through the keys.
     */
    organisation: text('organisation').notNull(),
    /** The organisation of the key that made it: Idempotency-Keys are scoped to it. */
    actorOrganisation: text('actor_organisation').notNull(),
    /** The newest re-screen of this screening, set in the re-screen's own statement. */
    supersededBy: uuid('superseded_by'),
    /**
     * When the screening last changed for its followers: created, its review resolved, or superseded;
     * written in the same statement or transaction as that change (lists' `updatedSince`).
     */
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** A line carries STRICTER_TODAY: decided more leniently on its as-of date than it would be today. */
    stricterToday: boolean('stricter_today').notNull().default(false),
    /** The request and the response are stored once, as this audit event's payload. */
    auditSequence: bigint('audit_sequence', { mode: 'number' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('screenings_idempotency_idx').on(t.actorOrganisation, t.idempotencyKey),
    index('screenings_organisation_idx').on(t.organisation, t.id),
    index('screenings_updated_idx').on(t.updatedAt),
    index('screenings_declaration_idx').on(t.declarationId),
    index('screenings_created_idx').on(t.createdAt),
    index('screenings_stricter_today_idx').on(t.id).where(sql`${t.stricterToday}`),
  ],
)

export const reviewCases = pgTable(
  'review_cases',
  {
    id: uuid('id').primaryKey(),
    screeningId: uuid('screening_id').notNull(),
    declarationId: text('declaration_id').notNull(),
    status: text('status').notNull().default('open'),
    lines: jsonb('lines').notNull(),
    createdAt: createdAt(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true, mode: 'date' }),
    outcome: text('outcome'),
    reasonCode: text('reason_code'),
    note: text('note'),
    decidedBy: jsonb('decided_by'),
    resolutionSequence: bigint('resolution_sequence', { mode: 'number' }),
  },
  (t) => [
    uniqueIndex('review_cases_screening_idx').on(t.screeningId),
    index('review_cases_status_idx').on(t.status),
  ],
)

/**
 * Append-only, hash-chained. A migration adds triggers that refuse UPDATE, DELETE and TRUNCATE, and
 * `sequence` is assigned under an advisory lock so the chain has no gaps across processes.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    sequence: bigint('sequence', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    action: text('action').notNull(),
    actor: jsonb('actor').notNull(),
    subject: jsonb('subject').notNull(),
    decision: text('decision'),
    registryVersion: text('registry_version'),
    requestId: text('request_id'),
    /**
     * `json`, not `jsonb`: the text is kept as written, the payload's canonical JSON, so the export hands
     * out exactly what was hashed without PostgreSQL re-serialising it.
     */
    payload: json('payload').notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [index('audit_events_at_idx').on(t.at), index('audit_events_action_idx').on(t.action)],
)

/**
 * Signed checkpoints (contract §9), one per committed batch of audit events, written in the batch's own
 * statement or transaction. Append-only like the events (a migration adds the triggers).
 */
export const auditCheckpoints = pgTable(
  'audit_checkpoints',
  {
    sequence: bigint('sequence', { mode: 'number' }).primaryKey(),
    hash: text('hash').notNull(),
    /** The signed ISO time, as signed (text: a timestamp would not promise the same spelling back). */
    at: text('at').notNull(),
    keyId: text('key_id').notNull(),
    signature: text('signature').notNull(),
  },
  (t) => [index('audit_checkpoints_at_idx').on(t.at)],
)

/**
 * Every public key that ever signed a checkpoint, so checkpoints signed before a rotation stay verifiable.
 * The private keys are never in the database.
 */
export const auditSigningKeys = pgTable('audit_signing_keys', {
  keyId: text('key_id').primaryKey(),
  algorithm: text('algorithm').notNull(),
  publicKeyPem: text('public_key_pem').notNull(),
  firstUsedAt: timestamp('first_used_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
})

/**
 * One row per screened line: the facts the trade report and the decision log read, so neither parses
 * audit payloads. Written in the same statement as its screening and audit event; migration 0004
 * back-filled it from the payloads of screenings stored before it existed. Derived data: the audit
 * event stays the record. Migration 0010 adds `screening_lines_groups_idx`, a partial covering index of the
 * lines that met a group, for the trade report (hand-written: drizzle-kit cannot declare INCLUDE).
 */
export const screeningLines = pgTable(
  'screening_lines',
  {
    screeningId: uuid('screening_id').notNull(),
    lineNo: integer('line_no').notNull(),
    declarationId: text('declaration_id').notNull(),
    direction: text('direction').notNull(),
    /** The answer's `decidedAt`, and its day in Asia/Shanghai (the report's periods and months). */
    decidedAt: timestamp('decided_at', { withTimezone: true, mode: 'date' }).notNull(),
    decidedDay: date('decided_day', { mode: 'string' }).notNull(),
    auditSequence: bigint('audit_sequence', { mode: 'number' }).notNull(),
    registryVersion: text('registry_version').notNull(),
    declarationDecision: text('declaration_decision').notNull(),
    /** The declared HS code as digits. */
    hsCode: text('hs_code').notNull(),
    /** Declared CAS numbers and component CAS numbers, normalised (`1163-19-5`). */
    casNumbers: text('cas_numbers').array().notNull(),
    /** Registry groups a reason of the line names (advisories do not count), sorted. */
    groups: text('groups').array().notNull(),
    reasonCodes: text('reason_codes').array().notNull(),
    decision: text('decision').notNull(),
    quantity: numeric('quantity', { mode: 'number' }),
    unit: text('unit'),
    /** `quantity` when `unit` is `kg` or customs unit `035`; null for any other unit. */
    kilograms: numeric('kilograms', { mode: 'number' }),
    declaredValue: numeric('declared_value', { mode: 'number' }),
    currency: text('currency'),
    tradeCountry: text('trade_country'),
    customsOffice: text('customs_office'),
    /**
     * Where the line stands among its screening's lines (in line number order), for the trade report's
     * counts of declarations, taken when the screening is written (migration 0011 back-filled them; see
     * `lineFirsts` in src/core/line-facts.ts): the first line of the screening (one row per screening:
     * the report finds each declaration's latest screening from these); the groups this line is the first
     * to meet, and those it is the first to meet with its HS code; whether it is the first line to meet any
     * group, and the first to meet any group with its HS code.
     */
    firstLine: boolean('first_line').notNull().default(false),
    firstGroups: text('first_groups').array().notNull().default(sql`'{}'::text[]`),
    firstHsGroups: text('first_hs_groups').array().notNull().default(sql`'{}'::text[]`),
    firstPop: boolean('first_pop').notNull().default(false),
    firstPopHs: boolean('first_pop_hs').notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.screeningId, t.lineNo] }),
    index('screening_lines_day_idx').on(t.decidedDay),
    index('screening_lines_sequence_idx').on(t.auditSequence, t.lineNo),
    // The trade report's latest screening of each declaration: one entry per screening, in declaration order.
    index('screening_lines_first_line_idx')
      .on(t.declarationId, t.decidedAt, t.decidedDay, t.screeningId)
      .where(sql`${t.firstLine}`),
  ],
)

/**
 * The event feed (contract §11): what an integrator follows a declaration by. An outbox written in the
 * same statement or transaction as what it reports. Its order is the audit chain's: an event is keyed by
 * the sequence of the audit event that records the same change (and its place among that event's feed
 * events), and audit sequences become visible in commit order (see src/services/event-feed.ts).
 */
export const feedEvents = pgTable(
  'feed_events',
  {
    auditSequence: bigint('audit_sequence', { mode: 'number' }).notNull(),
    /** Place among the feed events of one audit event (a screening that opens a review has two). */
    ordinal: integer('ordinal').notNull(),
    type: text('type').notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    /** Whose screening it reports; null for events every organisation sees (registry activations). */
    organisation: text('organisation'),
    screeningId: uuid('screening_id'),
    declarationId: text('declaration_id'),
    reviewId: uuid('review_id'),
    decision: text('decision'),
    registryVersion: text('registry_version'),
    rescreenOf: uuid('rescreen_of'),
  },
  (t) => [
    primaryKey({ columns: [t.auditSequence, t.ordinal] }),
    index('feed_events_organisation_idx').on(t.organisation, t.auditSequence, t.ordinal),
  ],
)

/**
 * Webhook subscriptions: an organisation's events POSTed to `url`, signed with `secret` (kept to sign;
 * shown once). The delivery worker's state lives here: the feed position up to which events have been
 * handed to deliveries, when the subscription next needs work, and the lease of the instance working it.
 */
export const webhookSubscriptions = pgTable(
  'webhook_subscriptions',
  {
    id: uuid('id').primaryKey(),
    url: text('url').notNull(),
    events: text('events').array().notNull(),
    organisation: text('organisation').notNull(),
    secret: text('secret').notNull(),
    createdAt: createdAt(),
    createdBy: jsonb('created_by').notNull(),
    afterSequence: bigint('after_sequence', { mode: 'number' }).notNull(),
    afterOrdinal: integer('after_ordinal').notNull(),
    nextRunAt: timestamp('next_run_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    leaseToken: uuid('lease_token'),
    leaseUntil: timestamp('lease_until', { withTimezone: true, mode: 'date' }),
    /**
     * Set by DELETE /v1/webhooks/{id}: deliveries stop and the API forgets it. Rows stay (the service's
     * database role may not DELETE; see src/db/service-role.ts), the secret is wiped.
     */
    deletedAt: timestamp('deleted_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('webhook_subscriptions_next_run_idx').on(t.nextRunAt).where(sql`${t.deletedAt} is null`)],
)

/** One feed event to be POSTed to one subscription; `body` is the exact JSON sent on every attempt. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey(),
    subscriptionId: uuid('subscription_id').notNull(),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    body: text('body').notNull(),
    /** `pending` until a 2xx answer, then `delivered`. */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    createdAt: createdAt(),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    index('webhook_deliveries_subscription_idx').on(t.subscriptionId, t.id),
    index('webhook_deliveries_pending_idx').on(t.subscriptionId).where(sql`${t.status} = 'pending'`),
  ],
)

/** Every attempt of a delivery: when, how long, and the answer's status or the error. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    deliveryId: uuid('delivery_id').notNull(),
    attempt: integer('attempt').notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    durationMs: integer('duration_ms').notNull(),
    statusCode: integer('status_code'),
    error: text('error'),
  },
  (t) => [primaryKey({ columns: [t.deliveryId, t.attempt] })],
)
