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
    /** A line carries STRICTER_TODAY: decided more leniently on its as-of date than it would be today. */
    stricterToday: boolean('stricter_today').notNull().default(false),
    /** The request and the response are stored once, as this audit event's payload. */
    auditSequence: bigint('audit_sequence', { mode: 'number' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('screenings_idempotency_idx').on(t.actorKeyId, t.idempotencyKey),
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
  },
  (t) => [
    primaryKey({ columns: [t.screeningId, t.lineNo] }),
    index('screening_lines_day_idx').on(t.decidedDay),
    index('screening_lines_sequence_idx').on(t.auditSequence, t.lineNo),
  ],
)
