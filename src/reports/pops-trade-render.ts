import { createHash } from 'node:crypto'
import { stringify } from 'csv-stringify/sync'
import {
  DECISIONS,
  type Decision,
  type DirectionFigures,
  type Figures,
  type GroupFigures,
  type PopsTradeReport,
} from './pops-trade.ts'
import { escapeXml as esc, type Series, stackedBars, stackedColumns } from './svg-charts.ts'

const DIRECTION_ZH = { import: '进口', export: '出口' } as const
const DECISION_ZH: Record<Decision, string> = { ALLOW: '放行', REVIEW: '人工审核', BLOCK: '禁止' }
const DECISION_COLOR: Record<Decision, string> = { ALLOW: '#4c9a5b', REVIEW: '#e0a526', BLOCK: '#c0392b' }
const PALETTE = ['#2f6db5', '#d1495b', '#edae49', '#00798c', '#66a182', '#8e6c8a', '#3d405b', '#b5838d']

const num = new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 3 })
const n = (v: number) => num.format(v)

interface Labelled {
  id: string
  zh: string
  en: string
  figures: GroupFigures
}

function labelled(report: PopsTradeReport): Labelled[] {
  return [
    ...report.groups.map((g) => ({ id: g.id, zh: g.name.zh, en: g.name.en, figures: g })),
    { id: '*', zh: '合计（每一商品项只计一次）', en: 'Total (each line once)', figures: report.totals },
  ]
}

/** Every currency and other unit in the report, for fixed CSV columns. */
function keysOf(report: PopsTradeReport) {
  const currencies = new Set<string>()
  const units = new Set<string>()
  const visit = (f: Figures) => {
    for (const v of f.declaredValue) currencies.add(v.currency)
    for (const q of f.otherQuantities) units.add(q.unit)
  }
  for (const g of labelled(report)) {
    visit(g.figures)
    for (const d of g.figures.directions) {
      visit(d)
      for (const list of [d.byMonth, d.byHsCode, d.byTradeCountry, d.byCustomsOffice]) list.forEach(visit)
    }
  }
  return { currencies: [...currencies].sort(), units: [...units].sort() }
}

/** The report as one CSV table (UTF-8 with BOM, so Excel shows the Chinese): a row per group, direction and breakdown cell. */
export function popsTradeCsv(report: PopsTradeReport): string {
  const { currencies, units } = keysOf(report)
  const header = [
    '物质组 group',
    '物质 substance',
    '方向 direction',
    '维度 breakdown',
    '值 key',
    '说明 description',
    '报关单 declarations',
    '商品项 lines',
    '千克 kg',
    '无数量商品项 lines without quantity',
    ...units.map((u) => `数量（单位 ${u}）quantity (unit ${u})`),
    ...currencies.map((c) => `申报价值 ${c} declared value ${c}`),
    ...DECISIONS.map((d) => `初始判定 ${DECISION_ZH[d]} initial ${d}`),
    ...DECISIONS.map((d) => `最终处置 ${DECISION_ZH[d]} final ${d}`),
  ]
  const rows: unknown[][] = []
  const push = (
    g: Labelled,
    direction: string,
    breakdown: string,
    key: string | null,
    description: string | null,
    f: Figures,
  ) =>
    rows.push([
      g.id === '*' ? 'total' : g.id,
      g.zh,
      direction,
      breakdown,
      key ?? '',
      description ?? '',
      f.declarations,
      f.lines,
      f.kilograms,
      f.linesWithoutQuantity,
      ...units.map((u) => f.otherQuantities.find((q) => q.unit === u)?.quantity ?? ''),
      ...currencies.map((c) => f.declaredValue.find((v) => v.currency === c)?.amount ?? ''),
      ...DECISIONS.map((d) => f.initialDecision[d]),
      ...DECISIONS.map((d) => f.finalDisposition[d]),
    ])
  for (const g of labelled(report)) {
    push(g, 'all', 'all', null, null, g.figures)
    for (const d of g.figures.directions) {
      push(g, d.direction, 'all', null, null, d)
      for (const m of d.byMonth) push(g, d.direction, 'month', m.month, null, m)
      for (const h of d.byHsCode) push(g, d.direction, 'hsCode', h.hsCode, h.hsDescription, h)
      for (const c of d.byTradeCountry) push(g, d.direction, 'tradeCountry', c.tradeCountry, null, c)
      for (const o of d.byCustomsOffice) push(g, d.direction, 'customsOffice', o.customsOffice, null, o)
    }
  }
  // Codes stay text in Excel only if it is told so; a leading apostrophe (escape_formulas) would show.
  // HS codes and offices are digits: Excel drops no zeros from them unless they start with 0, which
  // HS chapters 01–09 and offices do; the JSON and HTML carry the exact codes.
  return stringify([header, ...rows], { bom: true, escape_formulas: true })
}

const money = (f: Figures) =>
  f.declaredValue.map((v) => `${esc(v.currency)} ${n(v.amount)}`).join('<br>') || '—'
const others = (f: Figures) =>
  f.otherQuantities.map((q) => `${n(q.quantity)}（${esc(q.unit)}）`).join('<br>') || '—'

function figureCells(f: Figures): string {
  return (
    `<td class="num" data-k="declarations">${n(f.declarations)}</td><td class="num" data-k="lines">${n(f.lines)}</td>` +
    `<td class="num" data-k="kilograms">${n(f.kilograms)}</td><td class="num">${others(f)}</td><td class="num">${money(f)}</td>` +
    `<td class="num dec">${DECISIONS.map((d) => `<span data-k="initial-${d}">${n(f.initialDecision[d])}</span>`).join(' / ')}</td>` +
    `<td class="num dec">${DECISIONS.map((d) => `<span data-k="final-${d}">${n(f.finalDisposition[d])}</span>`).join(' / ')}</td>`
  )
}

const FIGURE_HEAD =
  '<th>报关单</th><th>商品项</th><th>千克</th><th>其他单位数量</th><th>申报价值</th><th>初始判定<br>放行 / 审核 / 禁止</th><th>最终处置<br>放行 / 未结 / 禁止</th>'

function breakdownTable(
  caption: string,
  keyHead: string,
  rows: { key: string; note?: string | null; f: Figures }[],
): string {
  if (rows.length === 0) return ''
  return `<table><caption>${esc(caption)}</caption><thead><tr><th>${esc(keyHead)}</th>${FIGURE_HEAD}</tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr><th scope="row">${esc(r.key)}${r.note ? `<div class="note">${esc(r.note)}</div>` : ''}</th>${figureCells(r.f)}</tr>`,
    )
    .join('')}</tbody></table>`
}

function monthsOf(report: PopsTradeReport): string[] {
  const months: string[] = []
  const [fy, fm] = report.period.from.split('-').map(Number) as [number, number]
  const [ty, tm] = report.period.to.split('-').map(Number) as [number, number]
  for (let i = fy * 12 + fm - 1; i <= ty * 12 + tm - 1; i++)
    months.push(`${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`)
  return months.length <= 36 ? months : months.slice(-36)
}

function charts(report: PopsTradeReport): string {
  const months = monthsOf(report)
  const groups = report.groups
  const out: string[] = []
  for (const direction of ['import', 'export'] as const) {
    if (!report.totals.directions.some((d) => d.direction === direction)) continue
    const series: Series[] = groups.map((g, i) => {
      const d = g.directions.find((x) => x.direction === direction)
      return {
        name: g.name.zh,
        color: PALETTE[i % PALETTE.length]!,
        values: months.map((m) => d?.byMonth.find((x) => x.month === m)?.kilograms ?? 0),
      }
    })
    out.push(
      `<figure><figcaption>图 ${out.length + 1}　${DIRECTION_ZH[direction]}：各物质组每月千克数 Monthly kg per group (${direction})</figcaption>${stackedColumns(
        `${DIRECTION_ZH[direction]}每月千克数`,
        months.map((m) => m.slice(2)),
        series,
        '千克 kg',
      )}</figure>`,
    )
  }
  const decisionRows = groups.flatMap((g) =>
    (['initialDecision', 'finalDisposition'] as const).map((which) => ({
      label: `${which === 'initialDecision' ? '初始' : '最终'} ${g.name.zh}`,
      segments: DECISIONS.map((d) => ({
        name: which === 'finalDisposition' && d === 'REVIEW' ? '审核未结' : DECISION_ZH[d],
        color: DECISION_COLOR[d],
        value: g[which][d],
      })),
    })),
  )
  if (decisionRows.length > 0)
    out.push(
      `<figure><figcaption>图 ${out.length + 1}　判定与最终处置（商品项）Decisions and dispositions (lines)</figcaption>${stackedBars('判定与最终处置', decisionRows, '商品项')}</figure>`,
    )
  const top = (pick: (d: DirectionFigures) => { key: string; f: Figures }[]) => {
    const sums = new Map<string, number>()
    for (const d of report.totals.directions)
      for (const { key, f } of pick(d)) sums.set(key, (sums.get(key) ?? 0) + f.lines)
    return [...sums]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 10)
      .map(([label, value]) => ({ label, segments: [{ name: '商品项', color: '#2f6db5', value }] }))
  }
  const hs = top((d) => d.byHsCode.map((h) => ({ key: h.hsCode, f: h })))
  if (hs.length > 0)
    out.push(
      `<figure><figcaption>图 ${out.length + 1}　商品项最多的 HS 编码 Top HS codes (lines)</figcaption>${stackedBars('HS 编码', hs, '商品项')}</figure>`,
    )
  const countries = top((d) => d.byTradeCountry.map((c) => ({ key: c.tradeCountry ?? '未申报', f: c })))
  if (countries.length > 0)
    out.push(
      `<figure><figcaption>图 ${out.length + 1}　商品项最多的贸易国（地区）Top trade countries (lines)</figcaption>${stackedBars('贸易国', countries, '商品项')}</figure>`,
    )
  return out.join('')
}

const STYLE = `
@page { size: A4; margin: 14mm 12mm; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif; font-size: 10.5pt; color: #222; max-width: 186mm; margin: 0 auto; }
h1 { font-size: 17pt; margin: 0 0 2mm; } h2 { font-size: 13pt; margin: 6mm 0 2mm; border-bottom: 1px solid #999; }
h3 { font-size: 11pt; margin: 4mm 0 1mm; } .en { color: #666; font-size: 9pt; font-weight: normal; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 4mm; font-size: 8.5pt; page-break-inside: auto; }
caption { text-align: left; font-weight: bold; padding: 1mm 0; }
th, td { border: 1px solid #bbb; padding: 1mm 1.5mm; vertical-align: top; } thead th { background: #eef2f7; }
tr { page-break-inside: avoid; } td.num, td.dir { text-align: right; white-space: nowrap; } .note { font-weight: normal; color: #555; font-size: 7.5pt; }
figure { margin: 3mm 0; page-break-inside: avoid; } figcaption { font-weight: bold; font-size: 9.5pt; margin-bottom: 1mm; }
svg.chart { width: 100%; height: auto; font-family: inherit; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 0.5mm 4mm; margin: 2mm 0 4mm; } dl.meta dt { color: #555; }
.section { page-break-before: always; }
`

/**
 * The HTML report's Content-Security-Policy: its one inline style allowed by hash, nothing else (the
 * charts are inline SVG; there is no script).
 */
export const POPS_TRADE_HTML_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; frame-ancestors 'none'`

/** The report as a printable Chinese HTML page (A4) with server-drawn charts and no script. */
export function popsTradeHtml(report: PopsTradeReport): string {
  const { period } = report
  const summaryRows = labelled(report)
    .flatMap((g) =>
      g.figures.directions.map(
        (d) =>
          `<tr data-group="${esc(g.id)}" data-direction="${d.direction}"><th scope="row">${esc(g.zh)}<div class="note">${esc(g.en)}</div></th><td class="dir">${DIRECTION_ZH[d.direction]}</td>${figureCells(d)}</tr>`,
      ),
    )
    .join('')
  const details = report.groups
    .flatMap((g) =>
      g.directions.map(
        (d) =>
          `<h3>${esc(g.name.zh)}（${DIRECTION_ZH[d.direction]}） <span class="en">${esc(g.name.en)} — ${d.direction}</span></h3>` +
          breakdownTable(
            '按月份 by month',
            '月份',
            d.byMonth.map((m) => ({ key: m.month ?? '', f: m })),
          ) +
          breakdownTable(
            '按 HS 编码 by HS code',
            'HS 编码',
            d.byHsCode.map((h) => ({ key: h.hsCode, note: h.hsDescription, f: h })),
          ) +
          breakdownTable(
            '按贸易国（地区）by trade country',
            '贸易国',
            d.byTradeCountry.map((c) => ({ key: c.tradeCountry ?? '未申报 not declared', f: c })),
          ) +
          breakdownTable(
            '按申报地海关 by customs office',
            '关区代码',
            d.byCustomsOffice.map((o) => ({ key: o.customsOffice ?? '未申报 not declared', f: o })),
          ),
      ),
    )
    .join('')
  const direction = report.direction ? DIRECTION_ZH[report.direction] : '进口和出口'
  return `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>持久性有机污染物进出口情况报告 ${esc(period.from)} 至 ${esc(period.to)}</title><style>${STYLE}</style></head>
<body>
<h1>持久性有机污染物进出口情况报告</h1>
<div class="en">POPs import/export report — figures screened by popscreen</div>
<dl class="meta"><dt>统计期间</dt><dd>${esc(period.from)} 至 ${esc(period.to)}（北京时间，含首尾两日）</dd>
<dt>方向</dt><dd>${direction}</dd><dt>生成时间</dt><dd>${esc(report.generatedAt)}</dd>
<dt>物质名称依据</dt><dd>登记册版本 ${esc(report.registryVersion ?? '—')}</dd></dl>
<h2>一、汇总 <span class="en">Summary</span></h2>
<table class="summary"><thead><tr><th>物质组</th><th>方向</th>${FIGURE_HEAD}</tr></thead><tbody>${summaryRows || '<tr><td colspan="9">本期间无涉及持久性有机污染物的申报。</td></tr>'}</tbody></table>
<h2>二、图表 <span class="en">Charts</span></h2>
${charts(report)}
<h2 class="section">三、明细 <span class="en">Details</span></h2>
${details}
<h2>四、统计口径 <span class="en">How the figures are counted</span></h2>
<ul>
<li>每份报关单只按其在统计期间内最近一次筛查计入（重新筛查不重复计数）。</li>
<li>一个商品项涉及多个物质组时，在每个物质组中各计一次，在合计中只计一次。</li>
<li>千克数只汇总以千克（kg 或计量单位代码 035）申报的数量；其他计量单位按申报单位分别列出，不作换算。</li>
<li>最终处置：人工审核的商品项按审核结论（放行或禁止）计入，尚未审结的仍计为“未结”。</li>
<li>日期按北京时间（Asia/Shanghai）的筛查日计算。</li>
</ul>
</body></html>
`
}
