/**
 * Small server-drawn SVG charts for printable reports: no script, no fonts of their own (text inherits the
 * page's), every value escaped. Each chart is a complete <svg> element with a <title> for screen readers.
 */

export const escapeXml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  )

export interface Series {
  name: string
  color: string
  values: number[]
}

const fmt = new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 1 })
const short = (n: number) =>
  n >= 1e8 ? `${fmt.format(n / 1e8)}亿` : n >= 1e4 ? `${fmt.format(n / 1e4)}万` : fmt.format(n)

/** A round upper bound for an axis: 1, 2 or 5 times a power of ten, at least `max`. */
function niceMax(max: number): number {
  if (max <= 0) return 1
  const power = 10 ** Math.floor(Math.log10(max))
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power
  return 10 * power
}

/** Legend items laid out in rows that fit `width`; answers the SVG and the number of rows. */
function legend(series: { name: string; color: string }[], x: number, y: number, width: number) {
  let at = x
  let row = 0
  const parts = series.map((s) => {
    const w = 24 + s.name.length * 11
    if (at + w > x + width && at > x) {
      at = x
      row++
    }
    const top = y + row * 16
    const item = `<rect x="${at}" y="${top - 9}" width="10" height="10" fill="${s.color}"/><text x="${at + 14}" y="${top}" font-size="11">${escapeXml(s.name)}</text>`
    at += w
    return item
  })
  return { svg: parts.join(''), rows: row + 1 }
}

/** Vertical bars per category, the series stacked in each. */
export function stackedColumns(
  title: string,
  categories: string[],
  series: Series[],
  unit: string,
  { width = 680, height = 260 } = {},
): string {
  const left = 56
  const right = 10
  const top = 30
  const bottom = 40
  const plotW = width - left - right
  const plotH = height - top - bottom
  const totals = categories.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0))
  const max = niceMax(Math.max(0, ...totals))
  const band = plotW / Math.max(1, categories.length)
  const barW = Math.max(2, band * 0.7)
  const parts: string[] = []
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4
    const y = top + plotH - (plotH * t) / 4
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${left - 4}" y="${y + 4}" font-size="10" text-anchor="end">${short(v)}</text>`,
    )
  }
  categories.forEach((category, i) => {
    let y = top + plotH
    const x = left + band * i + (band - barW) / 2
    for (const s of series) {
      const v = s.values[i] ?? 0
      if (v <= 0) continue
      const h = (plotH * v) / max
      y -= h
      parts.push(
        `<rect class="bar" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${s.color}"><title>${escapeXml(`${category} ${s.name}: ${fmt.format(v)} ${unit}`)}</title></rect>`,
      )
    }
    parts.push(
      `<text x="${(left + band * i + band / 2).toFixed(1)}" y="${top + plotH + 14}" font-size="10" text-anchor="middle">${escapeXml(category)}</text>`,
    )
  })
  parts.push(`<text x="4" y="${top - 12}" font-size="10">${escapeXml(unit)}</text>`)
  const key = legend(series, left, height - 6, width - left - right)
  parts.push(key.svg)
  const fullHeight = height + (key.rows - 1) * 16
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${fullHeight}" role="img"><title>${escapeXml(title)}</title>${parts.join('')}</svg>`
}

export interface StackedRow {
  label: string
  segments: { name: string; color: string; value: number }[]
}

/** Horizontal bars, each split into segments (e.g. ALLOW/REVIEW/BLOCK); one shared scale. */
export function stackedBars(title: string, rows: StackedRow[], unit: string, { width = 680 } = {}): string {
  const left = 150
  const right = 60
  const rowH = 22
  const top = 10
  const height = top + rows.length * rowH + 30
  const plotW = width - left - right
  const max = niceMax(Math.max(0, ...rows.map((r) => r.segments.reduce((s, g) => s + g.value, 0))))
  const parts: string[] = []
  rows.forEach((row, i) => {
    const y = top + i * rowH
    let x = left
    parts.push(
      `<text x="${left - 6}" y="${y + 14}" font-size="11" text-anchor="end">${escapeXml(row.label.length > 13 ? `${row.label.slice(0, 12)}…` : row.label)}<title>${escapeXml(row.label)}</title></text>`,
    )
    let total = 0
    for (const seg of row.segments) {
      if (seg.value <= 0) continue
      const w = (plotW * seg.value) / max
      parts.push(
        `<rect class="bar" x="${x.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${seg.color}"><title>${escapeXml(`${row.label} ${seg.name}: ${fmt.format(seg.value)} ${unit}`)}</title></rect>`,
      )
      x += w
      total += seg.value
    }
    parts.push(`<text x="${(x + 4).toFixed(1)}" y="${y + 14}" font-size="10">${short(total)}</text>`)
  })
  const names = new Map<string, string>()
  for (const r of rows) for (const s of r.segments) names.set(s.name, s.color)
  if (names.size > 1)
    parts.push(
      legend(
        [...names].map(([name, color]) => ({ name, color })),
        left,
        height - 8,
        plotW,
      ).svg,
    )
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img"><title>${escapeXml(title)}</title>${parts.join('')}</svg>`
}
