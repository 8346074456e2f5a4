import { PassThrough } from 'node:stream'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { stringify } from 'csv-stringify/sync'
import type ExcelJS from 'exceljs'
import type { Database } from '../db/client.ts'
import type { DecisionLogFilter, DecisionLogRow } from '../services/decision-log.ts'

/** Excel keeps at most this many characters in a cell (Excel specifications and limits). */
export const EXCEL_CELL_LIMIT = 32_767

type Kind = 'text' | 'int' | 'number' | 'time'
interface Column {
  header: string
  kind: Kind
  width: number
}

/** The decision log's columns: one header row, each header Chinese then English, so filters work. */
export const DECISION_LOG_COLUMNS: readonly Column[] = [
  { header: '判定时间（北京时间） decided at (Asia/Shanghai)', kind: 'time', width: 20 },
  { header: '筛查编号 screening id', kind: 'text', width: 38 },
  { header: '报关单号 declaration id', kind: 'text', width: 22 },
  { header: '进出口 direction', kind: 'text', width: 9 },
  { header: '关区 customs office', kind: 'text', width: 9 },
  { header: '项号 line', kind: 'int', width: 6 },
  { header: 'HS编码 HS code', kind: 'text', width: 14 },
  { header: 'HS 2022 说明 HS 2022 text', kind: 'text', width: 40 },
  { header: 'CAS号 CAS numbers', kind: 'text', width: 22 },
  { header: '商品项判定 line decision', kind: 'text', width: 10 },
  { header: '原因代码 reason codes', kind: 'text', width: 28 },
  { header: '物质 substances (中文)', kind: 'text', width: 24 },
  { header: '物质 substances (English)', kind: 'text', width: 30 },
  { header: '数量 quantity', kind: 'number', width: 12 },
  { header: '单位 unit', kind: 'text', width: 7 },
  { header: '报关单判定 declaration decision', kind: 'text', width: 10 },
  { header: '最终处置 final disposition', kind: 'text', width: 10 },
  { header: '处置人 officer', kind: 'text', width: 14 },
  { header: '处置原因代码 disposition reason', kind: 'text', width: 20 },
  { header: '处置时间（北京时间） disposed at (Asia/Shanghai)', kind: 'time', width: 20 },
  { header: '登记册版本 registry version', kind: 'text', width: 10 },
  { header: '审计序号 audit sequence', kind: 'int', width: 12 },
  { header: '审计哈希 audit hash', kind: 'text', width: 72 },
]

export type Cell = string | number | null

/**
 * Text as a spreadsheet may show it: a leading = + - @ tab or CR would make Excel or WPS read a formula,
 * so it gets a leading apostrophe (as the audit CSV does); longer than a cell holds, it is cut with an
 * ellipsis (nothing in a line's facts comes near it; the guard keeps the promise).
 */
export function safeText(text: string): string {
  const neutral = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text
  return neutral.length > EXCEL_CELL_LIMIT ? `${neutral.slice(0, EXCEL_CELL_LIMIT - 1)}…` : neutral
}

export interface Labels {
  hsText(code: string): string | null
  groupNames(version: string, id: string): { zh: string; en: string } | undefined
}

/** A line as the log's cells, in column order; times as epoch milliseconds, text already made safe. */
export function decisionLogCells(row: DecisionLogRow, labels: Labels): Cell[] {
  const names = row.groups.map((g) => labels.groupNames(row.registryVersion, g) ?? { zh: g, en: g })
  const reviewed = row.decision === 'REVIEW' && row.reviewStatus === 'resolved'
  const text = (v: string | null) => (v === null || v === '' ? null : safeText(v))
  return [
    row.decidedAt,
    text(row.screeningId),
    text(row.declarationId),
    text(row.direction),
    text(row.customsOffice),
    row.lineNo,
    text(row.hsCode),
    text(labels.hsText(row.hsCode)),
    text(row.casNumbers.join('; ')),
    text(row.decision),
    text(row.reasonCodes.join('; ')),
    text(names.map((n) => n.zh).join('; ')),
    text(names.map((n) => n.en).join('; ')),
    row.quantity === null ? null : Number(row.quantity),
    text(row.unit),
    text(row.declarationDecision),
    text(reviewed ? row.reviewOutcome : row.decision),
    text(reviewed ? row.reviewOfficer : null),
    text(reviewed ? row.reviewReasonCode : null),
    reviewed ? row.reviewedAt : null,
    text(row.registryVersion),
    row.auditSequence,
    text(row.auditHash),
  ]
}

const SHANGHAI_MS = 8 * 3_600_000

/** An instant as Asia/Shanghai wall-clock time, `2025-03-10 10:00:00`. */
export const shanghaiTime = (ms: number) =>
  new Date(ms + SHANGHAI_MS).toISOString().slice(0, 19).replace('T', ' ')

const CSV_ROWS_PER_CHUNK = 50

/** The CSV's BOM and header row. */
export const decisionLogCsvHeader = () =>
  stringify([DECISION_LOG_COLUMNS.map((c) => c.header)], { bom: true })

/**
 * The log as CSV: BOM and header once, then rows in chunks of about 20 KB (see the audit export). On
 * PostgreSQL the rows come from `decisionLogCsvCopy` instead (services/decision-log.ts), which writes
 * the same cells; this is PGlite's path.
 */
export async function* decisionLogCsv(
  pages: AsyncIterable<DecisionLogRow[]>,
  labels: Labels,
): AsyncGenerator<string> {
  yield decisionLogCsvHeader()
  const asCsv = (cells: Cell[]) =>
    cells.map((v, i) =>
      v === null ? '' : DECISION_LOG_COLUMNS[i]!.kind === 'time' ? shanghaiTime(v as number) : v,
    )
  for await (const page of pages) {
    for (let i = 0; i < page.length; i += CSV_ROWS_PER_CHUNK)
      yield stringify(page.slice(i, i + CSV_ROWS_PER_CHUNK).map((r) => asCsv(decisionLogCells(r, labels))))
    // A writable socket pulls the next chunk at once, so a page would run in one turn of the event loop:
    // give other requests (and the load shedder's delay sampler) a turn between pages.
    await nextTurn()
  }
}

export interface ExportContext {
  filter: DecisionLogFilter
  exportedAt: Date
}

/**
 * How far the sheet's XML may run ahead of its compression before the next page waits. The XML held there
 * lives long enough to be promoted to V8's old space, where it stays until a full collection, as do the
 * pages' rows: with 4 MiB and pages of 2,000 rows a half-year export peaked ~55 MiB higher than with
 * 256 KiB and 100 rows, at the same rows/s (README "Reports").
 */
const XLSX_BACKLOG_BYTES = 256 << 10

/**
 * Rows an XLSX export reads a page at a time: each page, and the next one read ahead, is held whole. On
 * PostgreSQL 100; on PGlite, whose single connection answers a page query far more slowly, 2,000 (the
 * XLSX of 50,000 lines took ~25 % longer in pages of 100 there, with the statistics gathered).
 */
export function xlsxPageRows(driver: Database['driver']): number {
  return driver === 'pg' ? 100 : 2_000
}

/**
 * exceljs's streaming workbook writer alone: its package entry also loads the readers, the CSV module and
 * their dependencies, ~13 MiB more resident for nothing an export uses.
 */
async function loadWorkbookWriter(): Promise<typeof ExcelJS.stream.xlsx.WorkbookWriter> {
  const module: { default: typeof ExcelJS.stream.xlsx.WorkbookWriter } = await import(
    // @ts-expect-error exceljs ships no types for its modules, only for its entry (whose class this is)
    'exceljs/lib/stream/xlsx/workbook-writer.js'
  )
  return module.default
}

/**
 * Bytes of sheet XML exceljs has produced that the zip's compression has not taken yet. exceljs's batch
 * StreamBuf keeps chunks until the zip pipes it, then writes to the zip's entry stream without waiting for
 * it: both are internals of exceljs 4 (`_stream`, its `buffers` and `pipes`), read here because no public
 * API says how far behind the zip is.
 */
function sheetBacklog(sheet: ExcelJS.Worksheet): number {
  const stream = (
    sheet as unknown as {
      _stream?: {
        buffers?: { length: number }[]
        pipes?: { _writableState?: { length: number }; _readableState?: { length: number } }[]
      }
    }
  )._stream
  if (!stream) return 0
  let bytes = 0
  for (const b of stream.buffers ?? []) bytes += b.length
  // archiver pipes each entry through a PassThrough of its own (readable-stream's, whose states have no
  // public length getters), read once compression gets to it.
  for (const p of stream.pipes ?? [])
    bytes += (p._writableState?.length ?? 0) + (p._readableState?.length ?? 0)
  return bytes
}

/** The streaming workbook with sheet 1's columns, frozen and filterable header row, and per-column styles. */
function startWorkbook(
  WorkbookWriter: typeof ExcelJS.stream.xlsx.WorkbookWriter,
  out: PassThrough,
  context: ExportContext,
) {
  const workbook = new WorkbookWriter({
    stream: out,
    useStyles: true,
    useSharedStrings: false,
    zip: { zlib: { level: 1 } },
  })
  workbook.creator = 'popscreen'
  workbook.created = context.exportedAt
  const sheet = workbook.addWorksheet('决策日志 decision log', {
    views: [{ state: 'frozen', ySplit: 1 }],
  })
  // One style object per column, given to every cell of the column: exceljs finds a style it has seen by
  // object identity, and otherwise renders each cell's style to XML to look it up (half its time per
  // row, with the fresh style object every cell gets from its column).
  const styles: Partial<ExcelJS.Style>[] = DECISION_LOG_COLUMNS.map((c) =>
    c.kind === 'time'
      ? { numFmt: 'yyyy-mm-dd hh:mm:ss' }
      : c.kind === 'text'
        ? { numFmt: '@' }
        : c.kind === 'number'
          ? { numFmt: '0.###' }
          : {},
  )
  sheet.columns = DECISION_LOG_COLUMNS.map((c, i) => ({ key: String(i), width: c.width, style: styles[i]! }))
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: DECISION_LOG_COLUMNS.length } }
  sheet.getRow(1).values = DECISION_LOG_COLUMNS.map((c) => c.header)
  sheet.getRow(1).font = { bold: true }
  sheet.getRow(1).commit()
  return { workbook, sheet, styles }
}

/**
 * The log as XLSX through exceljs's streaming writer: rows are committed as they come and zipped on the
 * fly. Sheet 1 has a frozen, filterable header row, column widths, times as Excel dates (Asia/Shanghai
 * wall clock) and codes as text cells; sheet 2 states the filters, registry versions, export time and the
 * range of the chain the rows cover. The output waits for the client between pages.
 */
export function decisionLogXlsx(
  pages: AsyncIterable<DecisionLogRow[]>,
  labels: Labels,
  context: ExportContext,
): AsyncIterable<Uint8Array> {
  const out = new PassThrough({ highWaterMark: 1 << 20 })
  const write = async () => {
    // exceljs is loaded with the first XLSX export: its ~25 MiB stay out of a server that never makes one.
    const { workbook, sheet, styles } = startWorkbook(await loadWorkbookWriter(), out, context)
    let rows = 0
    let first: DecisionLogRow | null = null
    let last: DecisionLogRow | null = null
    const versions = new Set<string>()
    for await (const page of pages) {
      for (const r of page) {
        first ??= r
        last = r
        versions.add(r.registryVersion)
        const cells = decisionLogCells(r, labels).map((v, i) =>
          v !== null && DECISION_LOG_COLUMNS[i]!.kind === 'time' ? new Date((v as number) + SHANGHAI_MS) : v,
        )
        const row = sheet.addRow(cells)
        for (let c = 0; c < styles.length; c++) row.getCell(c + 1).style = styles[c]!
        row.commit()
        rows++
      }
      // Hold the next page until the deflate took this one and the client took what it made: neither
      // exceljs's sheet stream nor the zip waits for the other, so whatever is ahead is held in memory
      // (a year of rows had the server at ~600 MiB when only the client side was waited for).
      while (
        (sheetBacklog(sheet) > XLSX_BACKLOG_BYTES || out.readableLength > out.readableHighWaterMark) &&
        !out.destroyed
      )
        await new Promise((resolve) => setTimeout(resolve, 2))
      if (out.destroyed) return // the client went away; leaving the loop closes the page reader
      await nextTurn() // other requests get a turn between pages
    }
    sheet.commit()
    const about = workbook.addWorksheet('说明 about')
    about.columns = [
      { key: 'k', width: 36 },
      { key: 'v', width: 90 },
    ]
    const { filter } = context
    const info: [string, string | number][] = [
      ['导出时间 exported at (UTC)', context.exportedAt.toISOString()],
      ['期间 period (Asia/Shanghai days, both included)', `${filter.from} – ${filter.to}`],
      ['方向 direction', filter.direction ?? 'all'],
      ['商品项判定 line decision', filter.decision ?? 'all'],
      ['物质组 substance group', filter.substance ?? 'all'],
      ['关区 customs office', filter.customsOffice ?? 'all'],
      ['行数 rows', rows],
      ['登记册版本 registry versions', [...versions].sort().join('; ') || '—'],
      ['审计链起点 chain range from (sequence)', first ? first.auditSequence : '—'],
      ['审计链起点哈希 first event hash', first ? first.auditHash : '—'],
      ['审计链终点 chain range to (sequence)', last ? last.auditSequence : '—'],
      ['审计链终点哈希 last event hash', last ? last.auditHash : '—'],
      [
        '核对 how to check',
        'GET /v1/audit/events?format=ndjson over the same period; each row’s audit sequence and hash are its screening event in the chain',
      ],
    ]
    for (const [k, v] of info) about.addRow([k, typeof v === 'string' ? safeText(v) : v]).commit()
    about.commit()
    await workbook.commit()
  }
  write().catch((err) => out.destroy(err))
  return out
}
