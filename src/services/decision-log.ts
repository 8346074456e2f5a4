import { type SQL, sql } from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'
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
 * current one. The events are joined from the page's first sequence on: without that bound the merge join
 * read the event index from sequence 1 for every page (81 ms of a 90 ms page at sequence 100,000). Starts at the period's first sequence, so a month of a long log does not scan the years
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
      join audit_events e on e.sequence = l.audit_sequence and e.sequence >= ${after[0]}
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

/** What the log's labels are made of, for PostgreSQL to write them itself (see `decisionLogCsvCopy`). */
export interface DecisionLogLabelData {
  /** The HS 2022 text of a declared code, as the JavaScript path labels it (`Nomenclature#describe`). */
  hsText(code: string): string | null
  /** Group names by registry version and group id (`groupNamesByVersion`). */
  groupNames: Map<string, Map<string, { zh: string | null; en: string | null }>>
}

const EXCEL_CELL_LIMIT = 32_767

/**
 * `safeText` (reports/decision-log.ts) in SQL, for a column reference: empty is null; a leading = + - @
 * tab or CR gets an apostrophe; past Excel's cell limit it is cut with an ellipsis (counted in characters
 * where JavaScript counts UTF-16 units: the two differ only for characters outside the Basic Multilingual
 * Plane, and no fact comes near the limit).
 */
const safe = (v: string) => {
  const neutral = `case when left(${v}, 1) in ('=', '+', '-', '@', e'\\t', e'\\r') then '''' || ${v} else ${v} end`
  return `case when ${v} = '' then null when length(${v}) < ${EXCEL_CELL_LIMIT} then ${neutral}
    when length(${neutral}) > ${EXCEL_CELL_LIMIT} then left(${neutral}, ${EXCEL_CELL_LIMIT - 1}) || '…' else ${neutral} end`
}

/** Asia/Shanghai wall-clock time as `shanghaiTime` writes it (a fixed UTC+8, as there). */
const shanghai = (v: string) =>
  `to_char((${v} at time zone 'UTC') + interval '8 hours', 'YYYY-MM-DD HH24:MI:SS')`

/**
 * The decision log's CSV rows (no header) as `COPY … TO STDOUT` statements, one per window of
 * `windowSize` audit sequences (~25,000 lines, ~7 MB; PostgreSQL builds the next window, up to the
 * read-ahead of `Database#copyOut`, while the current one streams), whose output is what `decisionLogCsv` writes:
 * PostgreSQL builds and quotes the cells and the server only pipes bytes (`Database#copyOut`). Building
 * each row in JavaScript — the driver's parsing of 23 columns, the cells, csv-stringify — held the export
 * to ~12,000 rows/s on the loaded bench machine. COPY takes no parameters: filter values, the HS texts
 * of the codes in the export and the group names are inlined as escaped literals.
 */
export async function decisionLogCsvCopy(
  db: Db,
  filter: DecisionLogFilter,
  labels: DecisionLogLabelData,
  windowSize = 6_000,
): Promise<string[]> {
  const where = conditions(filter)
  const [bounds] = await queryRows<{ first: string | number | null; last: string | number | null }>(
    db,
    sql`select min(audit_sequence) as first, max(audit_sequence) as last from screening_lines l where ${where}`,
  )
  if (bounds?.first === null || bounds?.first === undefined || bounds.last === null) return []
  // The texts of the codes the export holds (a few hundred), not of the whole nomenclature (~700 KB in
  // every statement).
  const codes = await queryRows<{ hs_code: string }>(
    db,
    sql`select distinct hs_code from screening_lines l where ${where}`,
  )
  const hs = JSON.stringify(Object.fromEntries(codes.map((c) => [c.hs_code, labels.hsText(c.hs_code)])))
  const names = JSON.stringify(
    Object.fromEntries(
      [...labels.groupNames].map(([version, groups]) => [
        version,
        Object.fromEntries([...groups].map(([id, n]) => [id, [n.zh, n.en]])),
      ]),
    ),
  )
  const groupNames = (i: 0 | 1) => `case when cardinality(l.groups) > 0 then array_to_string(array(
      select case when names.m->l.registry_version ? g then coalesce(names.m->l.registry_version->g->>${i}, '') else g end
      from unnest(l.groups) with ordinality u(g, o) order by o), '; ') end`
  const reviewed = `l.decision = 'REVIEW' and r.status = 'resolved'`
  // Raw values first, then the cells made safe from column references; OFFSET 0 keeps PostgreSQL from
  // folding the two levels into one, which evaluated each value (the group names' subqueries among them)
  // once per reference in `safe`: four times.
  const raw = sql.raw(`l.decided_at, l.screening_id::text as screening_id, l.declaration_id, l.direction,
      l.customs_office, l.line_no, l.hs_code, hs.m->>l.hs_code as hs_text,
      array_to_string(l.cas_numbers, '; ') as cas, l.decision, array_to_string(l.reason_codes, '; ') as reasons,
      ${groupNames(0)} as zh, ${groupNames(1)} as en,
      case when l.quantity < 0.000001 then regexp_replace(l.quantity::float8::text, 'e-0*', 'e-')
        else trim_scale(l.quantity)::text end as quantity,
      l.unit, l.declaration_decision, case when ${reviewed} then r.outcome else l.decision end as final,
      case when ${reviewed} then r.decided_by->>'name' end as officer,
      case when ${reviewed} then r.reason_code end as disposition_reason,
      case when ${reviewed} then r.resolved_at end as resolved_at,
      l.registry_version, l.audit_sequence, e.hash`)
  const cells = sql.raw(
    [
      shanghai('decided_at'),
      safe('screening_id'),
      safe('declaration_id'),
      safe('direction'),
      safe('customs_office'),
      'line_no',
      safe('hs_code'),
      safe('hs_text'),
      safe('cas'),
      safe('decision'),
      safe('reasons'),
      safe('zh'),
      safe('en'),
      'quantity',
      safe('unit'),
      safe('declaration_decision'),
      safe('final'),
      safe('officer'),
      safe('disposition_reason'),
      shanghai('resolved_at'),
      safe('registry_version'),
      'audit_sequence',
      safe('hash'),
    ].join(',\n'),
  )
  const dialect = new PgDialect()
  const statements: string[] = []
  for (let after = Number(bounds.first) - 1; after < Number(bounds.last); after += windowSize) {
    const upTo = Math.min(after + windowSize, Number(bounds.last))
    statements.push(
      dialect.sqlToQuery(
        sql`copy (select ${cells} from (
            select ${raw}
            from (select * from screening_lines where audit_sequence > ${after} and audit_sequence <= ${upTo} offset 0) l
            join audit_events e on e.sequence = l.audit_sequence and e.sequence > ${after} and e.sequence <= ${upTo}
            left join review_cases r on r.screening_id = l.screening_id
            cross join (select ${hs}::jsonb as m) hs
            cross join (select ${names}::jsonb as m) names
            where ${where} offset 0) as line
          order by audit_sequence, line_no) to stdout with (format csv)`.inlineParams(),
      ).sql,
    )
  }
  return statements
}
