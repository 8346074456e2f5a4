import { type SQL, sql } from 'drizzle-orm'
import type { Database } from '../db/client.ts'
import type { OneSnapshotHooks } from '../db/one-snapshot.ts'
import {
  type DirectionFigures,
  emptyFigures,
  type Figures,
  type GroupFigures,
  type PopsTradeReport,
} from '../reports/pops-trade.ts'
import type { Nomenclature } from './nomenclature.ts'
import type { RegistryService } from './registry-service.ts'

export interface TradeReportFilter {
  /** Days in Asia/Shanghai, both included. */
  from: string
  to: string
  direction?: 'import' | 'export' | undefined
}

/** The pseudo-group whose figures are the totals: every line that met a group, once. */
const TOTAL = '*'

// Which figures a row carries, as grouping(direction, month, hs_code, trade_country, customs_office) would
// say: a bit set for each column summed over, the first column the highest bit.
const SETS = {
  31: 'group',
  15: 'direction',
  7: 'month',
  11: 'hsCode',
  13: 'tradeCountry',
  14: 'customsOffice',
} as const
type SetName = (typeof SETS)[keyof typeof SETS]

interface Row {
  kind: 'count' | 'value' | 'unit'
  grp: string
  g: number
  direction: 'import' | 'export' | null
  month: string | null
  hs_code: string | null
  trade_country: string | null
  customs_office: string | null
  key: string | null
  declarations: number
  lines: number
  kilograms: number
  no_qty: number
  i_allow: number
  i_review: number
  i_block: number
  f_allow: number
  f_review: number
  f_block: number
  amount: number
}

/** The breakdowns of §8 with the `grouping()` bits of their set, and the fine pass each is summed from. */
const BREAKDOWNS = [
  ['month', 7, 'by_month_hs'],
  ['hs_code', 11, 'by_month_hs'],
  ['trade_country', 13, 'by_place'],
  ['customs_office', 14, 'by_place'],
] as const

/**
 * The report's two statements: `time` gives the month and HS-code breakdowns with the per-direction and
 * per-group figures (summed from the months), `place` the trade-country and customs-office breakdowns.
 */
export const REPORT_PARTS = ['time', 'place'] as const
export type ReportPart = (typeof REPORT_PARTS)[number]
const PASS = { time: 'by_month_hs', place: 'by_place' } as const

/**
 * The figures each breakdown's pass sums, over `lines`; `scr`/`scr_hs` and `tot`/`tot_hs` count the lines
 * that are the first of their screening to meet their group (alone and with their HS code) and any group.
 */
const LINE_SUMS = sql.raw(`count(*)::int as lines, sum(kilograms) as kilograms,
  count(*) filter (where quantity is null)::int as no_qty,
  count(*) filter (where is_allow)::int as i_allow, count(*) filter (where is_review)::int as i_review,
  count(*) filter (where is_block)::int as i_block, count(*) filter (where final_allow)::int as f_allow,
  count(*) filter (where final_review)::int as f_review, count(*) filter (where final_block)::int as f_block,
  count(declared_value)::int as nval, sum(declared_value) as amount, sum(quantity) as qty,
  count(*) filter (where first)::int as scr, count(*) filter (where first_hs)::int as scr_hs,
  count(*) filter (where first_pop)::int as tot, count(*) filter (where first_pop_hs)::int as tot_hs`)

/** LINE_SUMS summed again, over the fine passes' rows. */
const RESUMS = sql.raw(`sum(lines)::int as lines, sum(kilograms) as kilograms, sum(no_qty)::int as no_qty,
  sum(i_allow)::int as i_allow, sum(i_review)::int as i_review, sum(i_block)::int as i_block,
  sum(f_allow)::int as f_allow, sum(f_review)::int as f_review, sum(f_block)::int as f_block,
  sum(nval)::int as nval, sum(amount) as amount, sum(qty) as qty,
  sum(scr)::int as scr, sum(scr_hs)::int as scr_hs, sum(tot)::int as tot, sum(tot_hs)::int as tot_hs`)

/** The same figures summed again, over `cells` (rows of LINE_SUMS). */
const CELL_SUMS = sql.raw(`sum(lines)::int as lines, sum(kilograms) as kilograms, sum(no_qty)::int as no_qty,
  sum(i_allow)::int as i_allow, sum(i_review)::int as i_review, sum(i_block)::int as i_block,
  sum(f_allow)::int as f_allow, sum(f_review)::int as f_review, sum(f_block)::int as f_block,
  sum(nval)::int as nval, sum(amount) as amount, sum(qty) as qty`)

/**
 * One of the report's two statements (`part`: `time` or `place`, see REPORT_PARTS), which
 * `TradeReportService` runs at the same time on two backends reading one snapshot. Each reads the period's
 * lines itself (the preamble below, ~0.7 s of a year's ~2 s) and then makes one of the two fine passes
 * and the breakdowns summed from it: with two cores the report waits for the longer of the two, not for
 * their sum (README "Reports"). Each is built so that no step sorts, and none hashes more than the
 * period's lines that met a group (EXPLAIN ANALYZE on 1,000,000 lines, README "Reports"):
 * - `multi`, `superseded`: only the latest screening of a declaration in the period counts. Each screening
 *   has one fact row marked `first_line`; the partial index `screening_lines_first_line_idx` (migration
 *   0011) gives them in declaration order, so the declarations screened more than once in the period, and
 *   their latest time, are a group aggregation over that order (one index-only pass over the period's
 *   screenings, no hash, no sort), and their earlier screenings are index look-ups (`offset 0` keeps them
 *   look-ups: joined, the planner read the whole index again into a hash). A window over the same order
 *   cost twice as much.
 * - `lines`: the lines that met a group, read from the partial covering index `screening_lines_groups_idx`
 *   (migrations 0010 and 0011) by an index-only scan of ~15 % of the lines, with the final outcome of
 *   REVIEW lines after review (hashed look-ups) and the month of their day (`date_trunc`; `to_char` on
 *   every line cost ~0.1 s more, so the month is written out per result row). Declarations are counted by
 *   flags stored on the line when its screening was written (src/core/line-facts.ts `lineFirsts`): first
 *   line of its screening to meet its group (it counts the declaration once), first such line with this HS
 *   code (the per-HS-code declarations), and the same for any group (the totals). So they are sums,
 *   neither count(distinct) nor a window over the lines (which cost ~0.5 s with the string searches it fed).
 *   `gkey` is the line's group; for the few lines meeting several groups it lists them, each with its two
 *   flags (a key of its own), since one count per flag cannot tell which of them the line was first for.
 * - a hash aggregation over the lines, keyed by `gkey`, direction, currency and other unit, with month
 *   and HS code (`time`) or with trade country and customs office (`place`) (each line and declaration has
 *   one month, country and office; HS codes are few per group, so these hold ~8,500 and ~20,000 rows of a
 *   year), from which the four breakdowns are summed: two passes over the lines instead of one per
 *   breakdown; grouping sets over the same input were planned with sorts. The decisions are booleans of
 *   the line (a text comparison per figure and pass otherwise), the counts are summed as int (a sum of
 *   bigint accumulates in numeric).
 * - `cells`: each small result expanded to its groups (declarations from the summed flags, or from the
 *   flags in `gkey`) and to the totals' pseudo-group; then the rows the report is built from, with (in
 *   `time`) the per-direction and per-group figures summed from the months (each line and declaration has one). The
 *   planner expects `unnest` to return 10 elements, so it would sort the expanded rows (every text
 *   comparison through `strcoll` under the database's C.UTF-8 collation); `enable_sort` is off for the
 *   statement, which leaves it hashes (the hash tables hold a few thousand rows).
 */
export function reportSql(filter: TradeReportFilter, part: ReportPart): SQL {
  const period = sql`decided_day >= ${filter.from} and decided_day <= ${filter.to}`
  // Screenings whose review case is resolved with an outcome: the final disposition of their REVIEW lines
  // (ALLOW, BLOCK, or none for any other outcome); a case open or resolved as REVIEW leaves them REVIEW.
  const resolved = (outcome: SQL) =>
    sql`select screening_id from review_cases where status = 'resolved' and ${outcome}`
  // Flags of a line for one group (as stored when its screening was written).
  const flags = (group: SQL) =>
    sql`(${group} = any(first_groups))::int || (${group} = any(first_hs_groups))::int`
  // Each breakdown summed from the fine pass that holds its column.
  const breakdowns = BREAKDOWNS.filter(([, , pass]) => pass === PASS[part])
  const passes = breakdowns.map(
    ([column, , pass]) => sql`select gkey, direction, ${sql.raw(`'${column}'`)} as k,
      ${sql.raw(column === 'month' ? `to_char(month, 'YYYY-MM')` : column)} as v, currency, other, ounit,
      ${RESUMS} from ${sql.raw(pass)}
      group by gkey, direction, ${sql.raw(column)}, currency, other, ounit`,
  )
  const bits = sql.raw(`case k ${breakdowns.map(([c, b]) => `when '${c}' then ${b}`).join(' ')} end`)
  const at = (column: string) => sql.raw(`case when k = '${column}' then v end`)
  /**
   * Rows of one kind: per breakdown cell, and per direction and per group summed from the months (each
   * line and each declaration is in one month). `key` is the currency or unit column, or null.
   */
  const rows = (kind: string, key: SQL, figures: (declarations: SQL) => SQL, where: SQL, having: SQL) => sql`
    select ${sql.raw(`'${kind}'`)}::text as kind, grp, ${bits} as g, direction, ${at('month')} as month, ${at('hs_code')} as hs_code,
      ${at('trade_country')} as trade_country, ${at('customs_office')} as customs_office, ${key} as key,
      ${figures(sql`case when k = 'hs_code' then sum(scr_hs) else sum(scr) end`)}
    from cells where ${where} group by grp, direction, k, v, ${key} having ${having}
    ${
      part === 'time'
        ? sql`union all
    select ${sql.raw(`'${kind}'`)}, grp, 15, direction, null, null, null, null, ${key}, ${figures(sql`sum(scr)`)}
    from cells where k = 'month' and ${where} group by grp, direction, ${key} having ${having}
    union all
    select ${sql.raw(`'${kind}'`)}, grp, 31, null, null, null, null, null, ${key}, ${figures(sql`sum(scr)`)}
    from cells where k = 'month' and ${where} group by grp, ${key} having ${having}`
        : sql``
    }`
  const counts = (declarations: SQL) => sql`(${declarations})::int as declarations, sum(lines)::int as lines,
    coalesce(sum(kilograms), 0)::float8 as kilograms, sum(no_qty)::int as no_qty, sum(i_allow)::int as i_allow,
    sum(i_review)::int as i_review, sum(i_block)::int as i_block, sum(f_allow)::int as f_allow,
    sum(f_review)::int as f_review, sum(f_block)::int as f_block, null::float8 as amount`
  const tally = (n: SQL, amount: SQL) => () =>
    sql`null::int, (${n})::int, null::float8, null::int, null::int, null::int, null::int, null::int, null::int, null::int, (${amount})::float8`
  return sql`with multi as (
      select declaration_id, max(decided_at) as latest from screening_lines
      where first_line and ${period} group by declaration_id having count(*) > 1
    ), superseded as (
      select s.screening_id from multi m cross join lateral (
        select screening_id from screening_lines l
        where first_line and l.declaration_id = m.declaration_id and l.decided_at < m.latest and ${period}
        offset 0
      ) s
    ), lines as materialized (
      select direction, date_trunc('month', decided_day::timestamp) as month, hs_code, trade_country, customs_office,
        currency, quantity is not null and kilograms is null as other,
        case when quantity is not null and kilograms is null then unit end as ounit,
        decision = 'ALLOW' as is_allow, decision = 'REVIEW' as is_review, decision = 'BLOCK' as is_block,
        decision = 'ALLOW' or decision = 'REVIEW' and screening_id in (${resolved(sql`outcome = 'ALLOW'`)}) as final_allow,
        decision = 'BLOCK' or decision = 'REVIEW' and screening_id in (${resolved(sql`outcome = 'BLOCK'`)}) as final_block,
        decision = 'REVIEW' and screening_id not in (${resolved(sql`outcome is distinct from 'REVIEW'`)}) as final_review,
        quantity, kilograms, declared_value,
        case when cardinality(groups) = 1 then groups[1]
          else array_to_string(array(select g || ':' || ${flags(sql`g`)} from unnest(groups) g), ',')
        end as gkey,
        first_groups <> '{}' as first, first_hs_groups <> '{}' as first_hs, first_pop, first_pop_hs
      from screening_lines
      where ${period} and groups <> '{}' ${filter.direction ? sql`and direction = ${filter.direction}` : sql``}
        and screening_id not in (select screening_id from superseded)
    ), ${
      part === 'time'
        ? sql`by_month_hs as materialized (
      select gkey, direction, month, hs_code, currency, other, ounit, ${LINE_SUMS}
      from lines group by gkey, direction, month, hs_code, currency, other, ounit`
        : sql`by_place as materialized (
      select gkey, direction, trade_country, customs_office, currency, other, ounit, ${LINE_SUMS}
      from lines group by gkey, direction, trade_country, customs_office, currency, other, ounit`
    }
    ), passes as (
      ${sql.join(passes, sql` union all `)}
    ), cells as materialized (
      select split_part(e, ':', 1) as grp, direction, k, v, currency, other, ounit,
        sum(case when strpos(e, ':') = 0 then scr when substr(e, length(e) - 1, 1) = '1' then lines else 0 end)::int as scr,
        sum(case when strpos(e, ':') = 0 then scr_hs when right(e, 1) = '1' then lines else 0 end)::int as scr_hs,
        ${CELL_SUMS}
      from passes cross join lateral unnest(string_to_array(gkey, ',')) e
      group by 1, 2, 3, 4, 5, 6, 7
      union all
      select ${sql.raw(`'${TOTAL}'`)}, direction, k, v, currency, other, ounit, sum(tot)::int, sum(tot_hs)::int, ${CELL_SUMS}
      from passes group by direction, k, v, currency, other, ounit
    )
    ${rows('count', sql`null::text`, counts, sql`true`, sql`true`)}
    union all
    ${rows('value', sql`currency`, tally(sql`sum(nval)`, sql`sum(amount)`), sql`true`, sql`sum(nval) > 0`)}
    union all
    ${rows('unit', sql`ounit`, tally(sql`sum(lines)`, sql`sum(qty)`), sql`other`, sql`true`)}`
}

// Sums of decimals in float8: round what is shown to the thousandth (grams, fen) so 0.1 + 0.2 reads 0.3.
const round = (n: number) => Math.round(n * 1000) / 1000

/** Builds the POPs trade report from the fact table (contract §8). */
export class TradeReportService {
  constructor(
    private readonly database: Database,
    private readonly registry: RegistryService,
    private readonly nomenclature: Nomenclature,
    /** Tests: see `OneSnapshotHooks`. */
    private readonly hooks: OneSnapshotHooks = {},
  ) {}

  async report(filter: TradeReportFilter): Promise<PopsTradeReport> {
    // The breakdowns' hashes of a year's lines fit in memory with 64 MB (the default 4 MB spilled them to
    // disk), in each of the two backends; no parallel workers; no JIT, which the planner's estimates of the expanded groups would otherwise
    // pay for (compiling took longer than it saved).
    // The two statements run at the same time on two backends where PostgreSQL has a connection to spare,
    // reading one snapshot, so their breakdowns count the same screenings (see `readOneSnapshot`).
    const rows = (
      await this.database.readOneSnapshot<Row>(
        [
          sql`set local work_mem = '64MB'`,
          sql`set local max_parallel_workers_per_gather = 0`,
          sql`set local jit = off`,
          sql`set local enable_sort = off`,
        ],
        REPORT_PARTS.map((part) => reportSql(filter, part)),
        this.hooks,
      )
    ).flat()
    const cells = new Map<string, Figures>()
    const cellKey = (r: Row, set: SetName) =>
      `${r.grp}\u0000${set}\u0000${r.direction ?? ''}\u0000${set === 'month' ? r.month : set === 'hsCode' ? r.hs_code : set === 'tradeCountry' ? r.trade_country : set === 'customsOffice' ? r.customs_office : ''}`
    const layout = new Map<string, Map<SetName, Map<string, Row>>>() // grp → set → cell key → first row
    for (const r of rows) {
      const set = SETS[r.g as keyof typeof SETS]
      if (!set) throw new Error(`trade report: unexpected grouping ${r.g}`)
      const key = cellKey(r, set)
      let figures = cells.get(key)
      if (!figures) {
        figures = emptyFigures()
        cells.set(key, figures)
        const sets = layout.get(r.grp) ?? new Map<SetName, Map<string, Row>>()
        layout.set(r.grp, sets)
        const list = sets.get(set) ?? new Map<string, Row>()
        sets.set(set, list)
        list.set(key, r)
      }
      if (r.kind === 'count') {
        Object.assign(figures, {
          declarations: r.declarations,
          lines: r.lines,
          kilograms: round(r.kilograms),
          linesWithoutQuantity: r.no_qty,
          initialDecision: { ALLOW: r.i_allow, REVIEW: r.i_review, BLOCK: r.i_block },
          finalDisposition: { ALLOW: r.f_allow, REVIEW: r.f_review, BLOCK: r.f_block },
        })
      } else if (r.kind === 'value') {
        figures.declaredValue.push({ currency: r.key!, amount: round(r.amount) })
      } else {
        figures.otherQuantities.push({ unit: r.key!, quantity: round(r.amount), lines: r.lines })
      }
    }
    for (const f of cells.values()) {
      f.declaredValue.sort((a, b) => a.currency.localeCompare(b.currency))
      f.otherQuantities.sort((a, b) => a.unit.localeCompare(b.unit))
    }

    const groupFigures = (grp: string): GroupFigures => {
      const sets = layout.get(grp)!
      const of = (set: SetName) => [...(sets.get(set) ?? new Map<string, Row>())]
      const [[overallKey]] = of('group') as [[string, Row]]
      const directions: DirectionFigures[] = of('direction')
        .map(([key, r]) => {
          const within = (set: SetName) => of(set).filter(([, row]) => row.direction === r.direction)
          // Most lines first, then most kilograms; ties by the cell's code (no code last), so that the order
          // does not depend on the order the database returned the rows in.
          const byCount =
            <K extends string>(key: K) =>
            <T extends Figures & Record<K, string | null>>(a: T, b: T) =>
              b.lines - a.lines ||
              b.kilograms - a.kilograms ||
              (a[key] === b[key] ? 0 : a[key] === null ? 1 : b[key] === null ? -1 : a[key] < b[key] ? -1 : 1)
          return {
            direction: r.direction!,
            ...cells.get(key)!,
            byMonth: within('month')
              .map(([k, row]) => ({ month: row.month, ...cells.get(k)! }))
              .sort((a, b) => String(a.month).localeCompare(String(b.month))),
            byHsCode: within('hsCode')
              .map(([k, row]) => ({
                hsCode: row.hs_code!,
                hsDescription: this.nomenclature.describe(row.hs_code!)?.description ?? null,
                ...cells.get(k)!,
              }))
              .sort(byCount('hsCode')),
            byTradeCountry: within('tradeCountry')
              .map(([k, row]) => ({ tradeCountry: row.trade_country, ...cells.get(k)! }))
              .sort(byCount('tradeCountry')),
            byCustomsOffice: within('customsOffice')
              .map(([k, row]) => ({ customsOffice: row.customs_office, ...cells.get(k)! }))
              .sort(byCount('customsOffice')),
          }
        })
        .sort((a, b) => a.direction.localeCompare(b.direction))
      return { ...cells.get(overallKey)!, directions }
    }

    const snapshot = this.registry.current()
    const groups = [...layout.keys()]
      .filter((g) => g !== TOTAL)
      .sort()
      .map((id) => {
        const names = snapshot?.groups.get(id)?.names
        return { id, name: { zh: names?.zh ?? id, en: names?.en ?? id }, ...groupFigures(id) }
      })
    return {
      period: { from: filter.from, to: filter.to, timeZone: 'Asia/Shanghai' },
      direction: filter.direction ?? null,
      generatedAt: new Date().toISOString(),
      registryVersion: snapshot?.version ?? null,
      totals: layout.has(TOTAL) ? groupFigures(TOTAL) : { ...emptyFigures(), directions: [] },
      groups,
    }
  }
}
