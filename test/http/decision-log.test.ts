import { parse } from 'csv-parse/sync'
import ExcelJS from 'exceljs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { shanghaiTime } from '../../src/reports/decision-log.ts'
import { todayInShanghai } from '../../src/services/screening-service.ts'
import { createTestApp, screenAsOfficer, type TestApp } from '../helpers/test-app.ts'

let t: TestApp
const today = todayInShanghai()
let big: { screeningId: string; audit: { sequence: number; hash: string }; registry: { version: string } }
let reviewed: { screeningId: string }

beforeAll(async () => {
  t = await createTestApp()
  const screen = (payload: object) => screenAsOfficer(t, payload)
  // A 100-line decaBDE declaration whose answer is far longer than an Excel cell.
  big = await screen({
    declaration: { id: '=1+2', direction: 'import', customsOffice: '7201', tradeCountry: 'VN' },
    lines: Array.from({ length: 100 }, (_, i) => ({
      lineNo: i + 1,
      hsCode: '2909300000',
      casNumbers: ['0001163-19-5'],
      description: '十溴二苯醚 阻燃剂 Deca-BDE',
      // The last two: a decimal and a quantity JavaScript writes with an exponent (the CSV must agree
      // with the XLSX cell read back, whoever writes it).
      quantity: { value: i === 98 ? 12.345 : i === 99 ? 0.0000001 : 10 + i, unit: '035' },
    })),
  })
  reviewed = await screen({
    declaration: { id: 'REV-DL', direction: 'export', customsOffice: '7202' },
    lines: [
      { lineNo: 1, hsCode: '29093090' },
      { lineNo: 2, hsCode: '3926909090', quantity: { value: 3, unit: '007' } },
    ],
  })
  const stored = await t.app.inject({
    url: `/v1/screenings/${reviewed.screeningId}`,
    headers: await t.auth('officer'),
  })
  const resolved = await t.app.inject({
    method: 'POST',
    url: `/v1/reviews/${stored.json().reviewId}/resolve`,
    headers: await t.auth('officer'),
    payload: { outcome: 'ALLOW', reasonCode: 'LAB_REPORT_ABSENT', note: '检测未检出' },
  })
  expect(resolved.statusCode).toBe(200)
})
afterAll(() => t.close())

const get = async (query: string, role: 'auditor' | 'officer' | 'admin' | 'screener' = 'auditor') =>
  t.app.inject({ url: `/v1/reports/decision-log?${query}`, headers: await t.auth(role) })

const csvRows = (body: string) =>
  parse(body.replace(/^\uFEFF/, ''), { relax_column_count: false }) as string[][]

describe('GET /v1/reports/decision-log', () => {
  it('CSV: BOM, bilingual headers, one row per line in chain order, codes as written, formulas neutralised', async () => {
    const res = await get(`from=${today}&to=${today}`)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/)
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]))
    const [header, ...rows] = csvRows(res.body)
    expect(header![0]).toBe('判定时间（北京时间） decided at (Asia/Shanghai)')
    expect(header).toContain(
      '判定 decision'.replace('判定', '商品项判定').replace('decision', 'line decision'),
    )
    expect(rows).toHaveLength(102)
    const col = (name: string) => header!.findIndex((h) => h.includes(name))
    const first = rows[0]!
    expect(first[col('declaration id')]).toBe("'=1+2")
    expect(first[col('HS code')]).toBe('2909300000')
    expect(first[col('HS 2022 text')]).toMatch(/ethers/i)
    expect(first[col('CAS numbers')]).toBe('1163-19-5')
    expect(first[col('substances (中文)')]).toBe('十溴二苯醚')
    expect(first[col('quantity')]).toBe('10')
    expect(first[col('unit')]).toBe('035')
    expect(first[col('audit sequence')]).toBe(String(big.audit.sequence))
    expect(first[col('audit hash')]).toBe(big.audit.hash)
    expect(first[col('decided at')]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
    expect(rows.map((r) => Number(r[col('line')]))).toEqual([
      ...Array.from({ length: 100 }, (_, i) => i + 1),
      1,
      2,
    ])
    // The disposition after review: on the line the case was about, not on the declaration's other lines.
    const [review, other] = rows.slice(100) as [string[], string[]]
    expect(review[col('line decision')]).toBe('REVIEW')
    expect(review[col('final disposition')]).toBe('ALLOW')
    expect(review[col('officer')]).toBe('officer-test')
    expect(review[col('disposition reason')]).toBe('LAB_REPORT_ABSENT')
    expect(review[col('disposed at')]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
    expect(other[col('final disposition')]).toBe(other[col('line decision')])
    expect(other[col('officer')]).toBe('')
    for (const row of rows) for (const cell of row) expect(cell.length).toBeLessThanOrEqual(32_767)
  })

  it('filters by substance, decision, direction and customs office', async () => {
    const count = async (q: string) => csvRows((await get(`from=${today}&to=${today}&${q}`)).body).length - 1
    expect(await count('substance=decabde')).toBe(101)
    expect(await count('substance=hcbd')).toBe(0)
    expect(await count('substance=pcp')).toBe(1) // the residual line 29093090 is PCP's too
    expect(await count('decision=REVIEW&direction=export')).toBe(1)
    expect(await count('customsOffice=7202')).toBe(2)
    expect(await count('direction=import&customsOffice=7202')).toBe(0)
  })

  it('XLSX: read back with exceljs, equal to the CSV cell by cell; frozen filtered header, dates, text codes, about sheet', async () => {
    const csv = csvRows((await get(`from=${today}&to=${today}`)).body)
    const res = await get(`from=${today}&to=${today}&format=xlsx`, 'officer')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    )
    const workbook = new ExcelJS.Workbook()
    await workbook.xlsx.load(res.rawPayload as unknown as ArrayBuffer)
    const [sheet, about] = workbook.worksheets as [ExcelJS.Worksheet, ExcelJS.Worksheet]
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 })
    expect(sheet.autoFilter).toBeTruthy()
    expect(sheet.getColumn(3).width).toBeGreaterThan(10)
    expect(sheet.rowCount).toBe(csv.length)
    const text = (v: ExcelJS.CellValue): string => {
      if (v === null || v === undefined) return ''
      if (v instanceof Date) return shanghaiTime(v.getTime() - 8 * 3_600_000)
      return String(v)
    }
    csv.forEach((row, r) => {
      row.forEach((cell, c) => {
        expect(text(sheet.getRow(r + 1).getCell(c + 1).value), `row ${r + 1} column ${c + 1}`).toBe(cell)
      })
    })
    const firstLine = sheet.getRow(2)
    expect(firstLine.getCell(1).type).toBe(ExcelJS.ValueType.Date)
    expect(firstLine.getCell(7).type).toBe(ExcelJS.ValueType.String) // HS code stays text
    expect(firstLine.getCell(9).value).toBe('1163-19-5')
    expect(firstLine.getCell(22).type).toBe(ExcelJS.ValueType.Number)
    const facts = new Map<string, unknown>()
    about.eachRow((row) => {
      facts.set(String(row.getCell(1).value), row.getCell(2).value)
    })
    expect(facts.get('行数 rows')).toBe(102)
    expect(facts.get('登记册版本 registry versions')).toBe(big.registry.version)
    expect(facts.get('审计链起点 chain range from (sequence)')).toBe(big.audit.sequence)
    expect(facts.get('审计链起点哈希 first event hash')).toBe(big.audit.hash)
    expect(facts.get('期间 period (Asia/Shanghai days, both included)')).toBe(`${today} – ${today}`)
  })

  it('is for officers, auditors and admins; bad filters are 422 naming the field', async () => {
    expect((await get('', 'screener')).statusCode).toBe(403)
    for (const [query, path] of [
      ['substance=DROP TABLE', '/substance'],
      ['customsOffice=72011', '/customsOffice'],
      ['from=2025-02-01&to=2025-01-01', '/to'],
      ['format=pdf', '/format'],
    ] as const) {
      const res = await get(query, 'admin')
      expect(res.statusCode, query).toBe(422)
      expect(res.json().errors.map((e: { path: string }) => e.path)).toEqual([path])
    }
  })
})

describe('the audit chain export within Excel’s cell limit', () => {
  it('keeps a payload over 32,767 characters in NDJSON only; NDJSON still verifies', async () => {
    const auditor = await t.auth('auditor')
    const csv = await t.app.inject({
      url: '/v1/audit/events?format=csv&action=screening.created',
      headers: auditor,
    })
    const rows = csvRows(csv.body)
    for (const row of rows) for (const cell of row) expect(cell.length).toBeLessThanOrEqual(32_767)
    const bigRow = rows.find((r) => r[0] === String(big.audit.sequence))!
    expect(bigRow.at(-1)).toMatch(/^\[payload of \d{6} characters: in the NDJSON export only/)
    const small = rows.find((r) => r[0] !== String(big.audit.sequence) && r[0] !== 'sequence')!
    expect(JSON.parse(small.at(-1)!)).toHaveProperty('request')
    const ndjson = await t.app.inject({ url: '/v1/audit/events?format=ndjson', headers: auditor })
    const event = ndjson.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((e) => e.sequence === big.audit.sequence)
    expect(JSON.stringify(event.payload).length).toBeGreaterThan(32_767)
    expect((await t.app.inject({ url: '/v1/audit/verify', headers: auditor })).json()).toMatchObject({
      ok: true,
    })
  })
})
