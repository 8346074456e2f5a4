import { type SQL, sql } from 'drizzle-orm'
import { type Db, queryRows } from '../db/client.ts'

export interface DecisionLogFilter {
  /** Days in Asia/Shanghai, both included. */
  from: string
  to: string
  direction?: 'import' | 'export' | undefined
  /** The line's decision. */
  decision?: 'ALLOW' | 'REVIEW' | 'BLOCK' | undefined
  /** A registry group id the line met. */
  substance?: string | undefined
  customsOffice?: string | undefined
}

/** One screened line as the decision log reads it: fact columns, its event's hash, its review case. */
export interface DecisionLogRow {
  auditSequence: number
  lineNo: number
  screeningId: string
  declarationId: string
  direction: string
  customsOffice: string | null
  /** Epoch milliseconds. */
  decidedAt: number
  hsCode: string
  casNumbers: string[]
  decision: string
  reasonCodes: string[]
  groups: string[]
  quantity: string | null
  unit: string | null
  declarationDecision: string
  registryVersion: string
  auditHash: string
  reviewStatus: string | null
  reviewOutcome: string | null
  reviewOfficer: string | null
  reviewReasonCode: string | null
  /** Epoch milliseconds. */
  reviewedAt: number | null
}

function conditions(filter: DecisionLogFilter): SQL {
  const parts = [sql`l.decided_day >= ${filter.from}`, sql`l.decided_day <= ${filter.to}`]
  if (filter.direction) parts.push(sql`l.direction = ${filter.direction}`)
  if (filter.decision) parts.push(sql`l.decision = ${filter.decision}`)
  if (filter.substance) parts.push(sql`${filter.substance} = any(l.groups)`)
  if (filter.customsOffice) parts.push(sql`l.customs_office = ${filter.customsOffice}`)
  return sql.join(parts, sql` and `)
}

/**
 * The lines of the period in chain order (audit sequence, then line number), a page at a time by keyset on
 * the (audit_sequence, line_no) index, the next page's query already running while the caller writes the
 * current one. Starts at the period's first sequence, so a month of a long log does not scan the years
 * before it. No payload is read: every column is a fact written with the screening.
 */
export async function* decisionLogPages(
  db: Db,
  filter: DecisionLogFilter,
  pageSize = 2_000,
): AsyncGenerator<DecisionLogRow[]> {
  const where = conditions(filter)
  const [first] = await queryRows<{ s: string | number | null }>(
    db,
    sql`select min(audit_sequence) as s from screening_lines l where ${where}`,
  )
  if (first?.s === null || first?.s === undefined) return
  const read = (after: [number, number]) =>
    queryRows<DecisionLogRow>(
      db,
      sql`select l.audit_sequence::float8 as "auditSequence", l.line_no as "lineNo", l.screening_id as "screeningId",
        l.declaration_id as "declarationId", l.direction, l.customs_office as "customsOffice",
        (extract(epoch from l.decided_at) * 1000)::float8 as "decidedAt", l.hs_code as "hsCode",
        l.cas_numbers as "casNumbers", l.decision, l.reason_codes as "reasonCodes", l.groups,
        l.quantity::text as quantity, l.unit, l.declaration_decision as "declarationDecision",
        l.registry_version as "registryVersion", e.hash as "auditHash", r.status as "reviewStatus",
        r.outcome as "reviewOutcome", r.decided_by->>'name' as "reviewOfficer", r.reason_code as "reviewReasonCode",
        (extract(epoch from r.resolved_at) * 1000)::float8 as "reviewedAt"
      from screening_lines l
      join audit_events e on e.sequence = l.audit_sequence
      left join review_cases r on r.screening_id = l.screening_id
      where (l.audit_sequence, l.line_no) > (${after[0]}, ${after[1]}) and ${where}
      order by l.audit_sequence, l.line_no limit ${pageSize}`,
    )
  const start = (after: [number, number]) => {
    const page = read(after)
    page.catch(() => {}) // a consumer that stops early never awaits it
    return page
  }
  let next: Promise<DecisionLogRow[]> | null = start([Number(first.s) - 1, 0])
  while (next) {
    const rows: DecisionLogRow[] = await next
    const last = rows[rows.length - 1]
    next = rows.length === pageSize && last ? start([last.auditSequence, last.lineNo]) : null
    if (rows.length > 0) yield rows
  }
}

/** Names of the registry groups in every stored version, for labelling lines without parsing payloads. */
export async function groupNamesByVersion(
  db: Db,
): Promise<Map<string, Map<string, { zh: string; en: string }>>> {
  const rows = await queryRows<{ version: string; groups: { id: string; zh: string; en: string }[] | null }>(
    db,
    sql`select version, (select json_agg(json_build_object('id', g->>'id', 'zh', g->'names'->>'zh', 'en', g->'names'->>'en'))
      from jsonb_array_elements(document->'groups') g) as groups from registry_versions`,
  )
  return new Map(
    rows.map((r) => [r.version, new Map((r.groups ?? []).map((g) => [g.id, { zh: g.zh, en: g.en }]))]),
  )
}
