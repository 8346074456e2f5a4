import { type SQL, sql } from 'drizzle-orm'
import { type Db, queryRows } from '../db/client.ts'
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

// grouping(direction, month, hs_code, trade_country, customs_office): a bit set for each column that is
// aggregated over, the first column the highest bit.
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

const GROUPING_SETS = (extra: SQL) => sql`grouping sets (
  (grp${extra}), (grp, direction${extra}), (grp, direction, month${extra}), (grp, direction, hs_code${extra}),
  (grp, direction, trade_country${extra}), (grp, direction, customs_office${extra}))`

const KEYS = sql`grp, grouping(direction, month, hs_code, trade_country, customs_office)::int as g, direction,
  month, hs_code, trade_country, customs_office`

/**
 * One statement. `period` is the fact rows of the days asked for; `latest` is each declaration's latest
 * decision time among them, so only its latest screening counts (a re-screen replaces the earlier answer;
 * a hash aggregate, where DISTINCT ON sorted every line of the period); `facts` is each line of those
 * screenings that met a group, once per group and once more under the totals' pseudo-group, with its
 * final outcome after review. `cells` folds the lines of a screening per group and HS code, marking the
 * first cell of each screening and group, so declarations are counted without count(distinct), which
 * sorted the facts once per grouping set. Then three aggregations: counts, declared value per currency,
 * quantities in other units per unit.
 */
function reportSql(filter: TradeReportFilter): SQL {
  return sql`with period as not materialized (
      select * from screening_lines where decided_day >= ${filter.from} and decided_day <= ${filter.to}
    ), latest as (
      select declaration_id, max(decided_at) as at from period group by declaration_id
    ), facts as materialized (
      select p.screening_id, p.direction, to_char(p.decided_day, 'YYYY-MM') as month, p.hs_code,
        p.trade_country, p.customs_office, p.decision,
        case when p.decision = 'REVIEW' and r.status = 'resolved' then r.outcome else p.decision end as final,
        p.quantity, p.unit, p.kilograms, p.declared_value, p.currency, g.grp
      from period p
      join latest l on l.declaration_id = p.declaration_id and l.at = p.decided_at
      left join review_cases r on r.screening_id = p.screening_id
      cross join lateral unnest(array_append(p.groups, ${TOTAL}::text)) as g(grp)
      where cardinality(p.groups) > 0 ${filter.direction ? sql`and p.direction = ${filter.direction}` : sql``}
    ), cells as (
      select grp, direction, month, hs_code, trade_country, customs_office, count(*) as lines,
        sum(kilograms) as kilograms, count(*) filter (where quantity is null) as no_qty,
        count(*) filter (where decision = 'ALLOW') as i_allow,
        count(*) filter (where decision = 'REVIEW') as i_review,
        count(*) filter (where decision = 'BLOCK') as i_block,
        count(*) filter (where final = 'ALLOW') as f_allow,
        count(*) filter (where final = 'REVIEW') as f_review,
        count(*) filter (where final = 'BLOCK') as f_block,
        row_number() over (partition by screening_id, grp order by hs_code) = 1 as first
      from facts group by grp, direction, month, hs_code, trade_country, customs_office, screening_id
    )
    select 'count' as kind, ${KEYS}, null as key,
      (case when grouping(hs_code) = 0 then count(*) else count(*) filter (where first) end)::int as declarations,
      sum(lines)::int as lines, coalesce(sum(kilograms), 0)::float8 as kilograms, sum(no_qty)::int as no_qty,
      sum(i_allow)::int as i_allow, sum(i_review)::int as i_review, sum(i_block)::int as i_block,
      sum(f_allow)::int as f_allow, sum(f_review)::int as f_review, sum(f_block)::int as f_block,
      null::float8 as amount
    from cells group by ${GROUPING_SETS(sql``)}
    union all
    select 'value', ${KEYS}, currency, null, count(*)::int, null, null, null, null, null, null, null, null,
      sum(declared_value)::float8
    from facts where declared_value is not null group by ${GROUPING_SETS(sql`, currency`)}
    union all
    select 'unit', ${KEYS}, unit, null, count(*)::int, null, null, null, null, null, null, null, null,
      sum(quantity)::float8
    from facts where quantity is not null and kilograms is null group by ${GROUPING_SETS(sql`, unit`)}`
}

// Sums of decimals in float8: round what is shown to the thousandth (grams, fen) so 0.1 + 0.2 reads 0.3.
const round = (n: number) => Math.round(n * 1000) / 1000

/** Builds the POPs trade report from the fact table (contract §8). */
export class TradeReportService {
  constructor(
    private readonly db: Db,
    private readonly registry: RegistryService,
    private readonly nomenclature: Nomenclature,
  ) {}

  async report(filter: TradeReportFilter): Promise<PopsTradeReport> {
    // Sorts and hashes of a year's lines fit in memory with 64 MB (the default 4 MB spilled them to disk);
    // one backend, because parallel workers each rebuilt the hash of the period's declarations.
    const rows = await this.db.transaction(async (tx) => {
      await tx.execute(sql`set local work_mem = '64MB'`)
      await tx.execute(sql`set local max_parallel_workers_per_gather = 0`)
      return queryRows<Row>(tx, reportSql(filter))
    })
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
          const byCount = <T extends Figures>(a: T, b: T) => b.lines - a.lines || b.kilograms - a.kilograms
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
              .sort(byCount),
            byTradeCountry: within('tradeCountry')
              .map(([k, row]) => ({ tradeCountry: row.trade_country, ...cells.get(k)! }))
              .sort(byCount),
            byCustomsOffice: within('customsOffice')
              .map(([k, row]) => ({ customsOffice: row.customs_office, ...cells.get(k)! }))
              .sort(byCount),
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
