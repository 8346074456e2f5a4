import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { TradeReportService } from '../../src/services/trade-report.ts'
import { createTestApp, screenAsOfficer, type TestApp, usingPostgres } from '../helpers/test-app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())
afterEach(() => {
  vi.useRealTimers()
})

/** Decisions are timed by the clock: each scenario screens at its own instants, in its own period. */
const at = (instant: string) => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(new Date(instant))
}

const screen = (payload: object) => screenAsOfficer(t, payload)

const line = (lineNo: number, extra: object = {}) => ({
  lineNo,
  hsCode: '2908110000',
  casNumbers: ['87-86-5'],
  ...extra,
})

const report = async (query: string, role: 'officer' | 'auditor' | 'admin' = 'auditor') => {
  const res = await t.app.inject({ url: `/v1/reports/pops-trade?${query}`, headers: await t.auth(role) })
  expect(res.statusCode, res.body).toBe(200)
  return res
}
const json = async (query: string) => (await report(query)).json()

const group = (r: { groups: { id: string }[] }, id: string) =>
  r.groups.find((g) => g.id === id) as unknown as Record<string, unknown> & {
    directions: Record<string, unknown>[]
  }

describe('GET /v1/reports/pops-trade counts', () => {
  it('counts a re-screened declaration once, by its latest screening in the period', async () => {
    at('2025-03-10T02:00:00Z')
    const first = await screen({
      declaration: { id: 'RS-1', direction: 'import', customsOffice: '7201' },
      lines: [
        line(1, { quantity: { value: 100, unit: 'kg' } }),
        line(2, { quantity: { value: 5, unit: 'kg' } }),
      ],
    })
    at('2025-03-11T02:00:00Z')
    const again = await t.app.inject({
      method: 'POST',
      url: `/v1/screenings/${first.screeningId}/rescreen`,
      headers: await t.auth('officer'),
    })
    expect(again.statusCode).toBe(200)
    at('2025-03-12T02:00:00Z')
    // The declarant corrected the declaration: one line of 40 kg replaces the two.
    await screen({
      declaration: { id: 'RS-1', direction: 'import', customsOffice: '7201' },
      lines: [line(1, { quantity: { value: 40, unit: '035' } })],
    })
    const r = await json('from=2025-03-01&to=2025-03-31')
    expect(group(r, 'pcp')).toMatchObject({ declarations: 1, lines: 1, kilograms: 40 })
    expect(r.totals).toMatchObject({ declarations: 1, lines: 1, kilograms: 40 })
    // A period that ends before the correction sees the re-screen as the latest: two lines, 105 kg.
    const earlier = await json('from=2025-03-01&to=2025-03-11')
    expect(earlier.totals).toMatchObject({ declarations: 1, lines: 2, kilograms: 105 })
  })

  it('counts a line that meets two groups in each group and once in the totals', async () => {
    at('2025-04-10T02:00:00Z')
    await screen({
      declaration: { id: 'TWO-1', direction: 'export', tradeCountry: 'VN', customsOffice: '7202' },
      lines: [
        {
          lineNo: 1,
          hsCode: '3824999990',
          casNumbers: ['87-86-5', '1163-19-5'],
          quantity: { value: 12.5, unit: 'kg' },
          declaredValue: { amount: 1000, currency: 'USD' },
        },
        line(2, { quantity: { value: 3, unit: '007' }, declaredValue: { amount: 20, currency: 'CNY' } }),
        { lineNo: 3, hsCode: '3926909090', quantity: { value: 999, unit: 'kg' } },
      ],
    })
    const r = await json('from=2025-04-01&to=2025-04-30')
    expect(r.groups.map((g: { id: string }) => g.id)).toEqual(['decabde', 'pcp'])
    expect(group(r, 'decabde')).toMatchObject({ declarations: 1, lines: 1, kilograms: 12.5 })
    expect(group(r, 'pcp')).toMatchObject({
      declarations: 1,
      lines: 2,
      kilograms: 12.5,
      otherQuantities: [{ unit: '007', quantity: 3, lines: 1 }],
      declaredValue: [
        { currency: 'CNY', amount: 20 },
        { currency: 'USD', amount: 1000 },
      ],
    })
    // The third line met no group: it is in no figure. The first is in the totals once.
    expect(r.totals).toMatchObject({ declarations: 1, lines: 2, kilograms: 12.5 })
    const exp = group(r, 'pcp').directions[0]!
    expect(exp).toMatchObject({
      direction: 'export',
      byMonth: [expect.objectContaining({ month: '2025-04', lines: 2 })],
      byTradeCountry: [expect.objectContaining({ tradeCountry: 'VN', lines: 2 })],
      byCustomsOffice: [expect.objectContaining({ customsOffice: '7202', lines: 2 })],
    })
    // Most lines first, then most kilograms.
    expect(exp.byHsCode).toEqual([
      expect.objectContaining({ hsCode: '3824999990', lines: 1, declarations: 1, kilograms: 12.5 }),
      expect.objectContaining({ hsCode: '2908110000', lines: 1, declarations: 1, kilograms: 0 }),
    ])
    expect((await json('from=2025-04-01&to=2025-04-30&direction=import')).totals.lines).toBe(0)
  })

  it('counts a declaration once per group and once per HS code, whatever the number of its lines', async () => {
    at('2025-08-10T02:00:00Z')
    await screen({
      declaration: { id: 'MANY-1', direction: 'import', tradeCountry: 'DE', customsOffice: '7203' },
      lines: [
        line(1, { quantity: { value: 1, unit: 'kg' } }),
        { lineNo: 2, hsCode: '3926909090' },
        line(3, { quantity: { value: 2, unit: 'kg' } }),
        {
          lineNo: 4,
          hsCode: '3824999990',
          casNumbers: ['87-86-5', '1163-19-5'],
          quantity: { value: 4, unit: 'kg' },
        },
        { lineNo: 5, hsCode: '3824999990', casNumbers: ['1163-19-5'] },
      ],
    })
    await screen({
      declaration: { id: 'MANY-2', direction: 'import', tradeCountry: 'DE', customsOffice: '7203' },
      lines: [{ lineNo: 1, hsCode: '3824999990', casNumbers: ['1163-19-5'] }],
    })
    const r = await json('from=2025-08-01&to=2025-08-31')
    const pcp = group(r, 'pcp')
    expect(pcp).toMatchObject({ declarations: 1, lines: 3, kilograms: 7 })
    expect(group(r, 'decabde')).toMatchObject({ declarations: 2, lines: 3, kilograms: 4 })
    expect(r.totals).toMatchObject({ declarations: 2, lines: 5, kilograms: 7 })
    const imports = r.totals.directions[0]
    expect(imports.byMonth).toEqual([
      expect.objectContaining({ month: '2025-08', declarations: 2, lines: 5 }),
    ])
    expect(imports.byTradeCountry).toEqual([expect.objectContaining({ tradeCountry: 'DE', declarations: 2 })])
    expect(imports.byHsCode).toEqual([
      expect.objectContaining({ hsCode: '3824999990', declarations: 2, lines: 3 }),
      expect.objectContaining({ hsCode: '2908110000', declarations: 1, lines: 2 }),
    ])
    expect(pcp.directions[0]!.byHsCode).toEqual([
      expect.objectContaining({ hsCode: '2908110000', declarations: 1, lines: 2, kilograms: 3 }),
      expect.objectContaining({ hsCode: '3824999990', declarations: 1, lines: 1, kilograms: 4 }),
    ])
  })

  it('moves reviewed lines from REVIEW to the officer’s outcome; open cases stay REVIEW', async () => {
    at('2025-05-10T02:00:00Z')
    const review = (id: string, withBlockLine = true) =>
      screen({
        declaration: { id, direction: 'import' },
        lines: [
          { lineNo: 1, hsCode: '29093090' },
          ...(withBlockLine ? [line(2, { quantity: { value: 1, unit: 'kg' } })] : []),
        ],
      })
    const resolve = async (screeningId: string, outcome: 'ALLOW' | 'BLOCK') => {
      const stored = await t.app.inject({
        url: `/v1/screenings/${screeningId}`,
        headers: await t.auth('officer'),
      })
      const res = await t.app.inject({
        method: 'POST',
        url: `/v1/reviews/${stored.json().reviewId}/resolve`,
        headers: await t.auth('officer'),
        payload: { outcome, reasonCode: 'OTHER', note: '审核结论' },
      })
      expect(res.statusCode).toBe(200)
    }
    await resolve((await review('REV-A')).screeningId, 'BLOCK')
    await resolve((await review('REV-B', false)).screeningId, 'ALLOW') // ALLOW only where no BLOCK line stands
    await review('REV-C')
    const r = await json('from=2025-05-10&to=2025-05-10')
    // Line 1 (a residual HS line, no CAS) is REVIEW for decaBDE and PCP; line 2 is BLOCK for PCP.
    expect(group(r, 'decabde')).toMatchObject({
      lines: 3,
      initialDecision: { ALLOW: 0, REVIEW: 3, BLOCK: 0 },
      finalDisposition: { ALLOW: 1, REVIEW: 1, BLOCK: 1 },
    })
    // BLOCK lines stay BLOCK whatever the review of the declaration's other lines decided.
    expect(group(r, 'pcp')).toMatchObject({
      lines: 5,
      initialDecision: { ALLOW: 0, REVIEW: 3, BLOCK: 2 },
      finalDisposition: { ALLOW: 1, REVIEW: 1, BLOCK: 3 },
    })
    expect(r.totals).toMatchObject({
      declarations: 3,
      lines: 5,
      initialDecision: { ALLOW: 0, REVIEW: 3, BLOCK: 2 },
      finalDisposition: { ALLOW: 1, REVIEW: 1, BLOCK: 3 },
    })
  })

  it('cuts periods and months at midnight in Asia/Shanghai', async () => {
    at('2025-06-30T15:59:59.999Z') // 2025-06-30 23:59:59.999 in Shanghai
    await screen({ declaration: { id: 'B-1', direction: 'import' }, lines: [line(1)] })
    at('2025-06-30T16:00:00.000Z') // 2025-07-01 00:00 in Shanghai
    await screen({ declaration: { id: 'B-2', direction: 'import' }, lines: [line(1)] })
    const june = await json('from=2025-06-01&to=2025-06-30')
    const july = await json('from=2025-07-01&to=2025-07-31')
    expect(june.totals.declarations).toBe(1)
    expect(july.totals.declarations).toBe(1)
    const both = await json('from=2025-06-30&to=2025-07-01')
    expect(group(both, 'pcp').directions[0]!.byMonth).toEqual([
      expect.objectContaining({ month: '2025-06', declarations: 1 }),
      expect.objectContaining({ month: '2025-07', declarations: 1 }),
    ])
  })
})

describe('GET /v1/reports/pops-trade on one snapshot', () => {
  it.runIf(usingPostgres)(
    'leaves a screening committed while the report runs out of both of its statements',
    async () => {
      at('2025-09-10T02:00:00Z')
      const declaration = (id: string) => ({
        id,
        direction: 'import',
        tradeCountry: 'FR',
        customsOffice: '7204',
      })
      await screen({
        declaration: declaration('SNAP-1'),
        lines: [line(1, { quantity: { value: 7, unit: 'kg' } })],
      })
      const { services } = t.runtime
      let screened = 0
      // The month and HS-code statement and the country and office one run on two backends; this
      // screening is committed after the first exported its snapshot, before the second started.
      const reports = new TradeReportService(services.database, services.registry, services.nomenclature, {
        exported: async () => {
          screened++
          await screen({
            declaration: declaration('SNAP-2'),
            lines: [line(1, { quantity: { value: 5, unit: 'kg' } })],
          })
        },
      })
      const r = await reports.report({ from: '2025-09-01', to: '2025-09-30' })
      expect(screened).toBe(1)
      const one = { declarations: 1, lines: 1, kilograms: 7 }
      expect(r.totals).toMatchObject(one)
      const [imports] = r.totals.directions
      expect(imports).toMatchObject(one)
      expect(imports!.byMonth).toEqual([expect.objectContaining(one)])
      expect(imports!.byHsCode).toEqual([expect.objectContaining(one)])
      expect(imports!.byTradeCountry).toEqual([expect.objectContaining({ tradeCountry: 'FR', ...one })])
      expect(imports!.byCustomsOffice).toEqual([expect.objectContaining({ customsOffice: '7204', ...one })])
      // The next report counts both.
      const after = await json('from=2025-09-01&to=2025-09-30')
      expect(after.totals).toMatchObject({ declarations: 2, lines: 2, kilograms: 12 })
      expect(after.totals.directions[0].byTradeCountry).toEqual([
        expect.objectContaining({ tradeCountry: 'FR', declarations: 2, lines: 2, kilograms: 12 }),
      ])
    },
  )
})

describe('GET /v1/reports/pops-trade formats and access', () => {
  it('CSV: BOM, bilingual header, the JSON’s figures', async () => {
    const r = await json('from=2025-04-01&to=2025-04-30')
    const res = await report('from=2025-04-01&to=2025-04-30&format=csv')
    expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/)
    expect(res.headers['content-disposition']).toMatch(
      /attachment; filename="popscreen-pops-trade-2025-04-01-2025-04-30.csv"/,
    )
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]))
    const [header, ...rows] = res.body.slice(1).trim().split('\n')
    expect(header).toContain('物质组 group')
    expect(header).toContain('申报价值 USD declared value USD')
    const pcpAll = rows.find((l) => l.startsWith('pcp,') && l.includes(',all,all,'))!
    expect(pcpAll).toContain('五氯苯酚')
    const cols = header!.split(',')
    const cells = pcpAll.split(',')
    const pcp = group(r, 'pcp')
    expect(Number(cells[cols.indexOf('商品项 lines')])).toBe(pcp.lines)
    expect(Number(cells[cols.indexOf('千克 kg')])).toBe(pcp.kilograms)
    expect(Number(cells[cols.indexOf('申报价值 USD declared value USD')])).toBe(1000)
  })

  it('HTML: Chinese, printable, charts drawn in SVG, no script, the JSON’s figures', async () => {
    const r = await json('from=2025-03-01&to=2025-06-30')
    const res = await report('from=2025-03-01&to=2025-06-30&format=html', 'officer')
    expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/)
    expect(res.headers['content-security-policy']).toMatch(/style-src 'sha256-/)
    const html = res.body
    expect(html).toContain('<html lang="zh-CN">')
    expect(html).toContain('持久性有机污染物进出口情况报告')
    expect(html).toContain('@page { size: A4')
    expect(html).not.toMatch(/<script/i)
    expect((html.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(4)
    expect((html.match(/class="bar"/g) ?? []).length).toBeGreaterThan(5)
    const number = (s: string) => Number(s.replaceAll(',', ''))
    for (const g of [...r.groups, { id: '*', ...r.totals }])
      for (const d of g.directions) {
        const row = new RegExp(
          `<tr data-group="${g.id.replace('*', '\\*')}" data-direction="${d.direction}">(.*?)</tr>`,
        ).exec(html)![1]!
        const cell = (k: string) => number(new RegExp(`data-k="${k}">([^<]*)<`).exec(row)![1]!)
        expect(cell('declarations')).toBe(d.declarations)
        expect(cell('lines')).toBe(d.lines)
        expect(cell('kilograms')).toBe(d.kilograms)
        for (const k of ['ALLOW', 'REVIEW', 'BLOCK']) {
          expect(cell(`initial-${k}`)).toBe(d.initialDecision[k])
          expect(cell(`final-${k}`)).toBe(d.finalDisposition[k])
        }
      }
  })

  it('is for officers, auditors and admins; bad periods are 422 naming the field', async () => {
    const screener = await t.app.inject({
      url: '/v1/reports/pops-trade',
      headers: await t.auth('screener'),
    })
    expect(screener.statusCode).toBe(403)
    const empty = await json('from=2024-01-01&to=2024-12-31')
    expect(empty).toMatchObject({ totals: { lines: 0, declarations: 0 }, groups: [] })
    for (const [query, path] of [
      ['from=2025-05-01&to=2025-04-01', '/to'],
      ['from=1899-12-31', '/from'],
      ['to=2025-02-30', '/to'],
      ['format=pdf', '/format'],
    ] as const) {
      const res = await t.app.inject({
        url: `/v1/reports/pops-trade?${query}`,
        headers: await t.auth('admin'),
      })
      expect(res.statusCode, query).toBe(422)
      expect(res.headers['content-type']).toMatch(/problem\+json/)
      expect(res.json().errors.map((e: { path: string }) => e.path)).toEqual([path])
    }
  })
})
