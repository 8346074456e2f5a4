/**
 * Contract §11, time: date-only `from`/`to` are days in Asia/Shanghai (UTC+8), `asOfFrom`/`asOfTo` filter
 * by business day, both at the days' edges.
 */
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SCREENING_REQUEST_EXAMPLES } from '../../src/http/docs/examples/screening-requests.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

let t: TestApp
let headers: Record<string, string>
beforeAll(async () => {
  t = await createTestApp()
  headers = { authorization: `Bearer ${await t.key('screener', 'days', 'days-organisation')}` }
})
afterAll(() => t.close())

async function screen(id: string, date?: string): Promise<string> {
  const value = structuredClone(SCREENING_REQUEST_EXAMPLES['allow-everyday-import']!.value)
  value.declaration.id = id
  if (date) value.declaration.date = date
  const res = await t.app.inject({ method: 'POST', url: '/v1/screenings', headers, payload: value })
  expect(res.statusCode).toBe(200)
  return res.json().screeningId
}

const listed = async (query: string) => {
  const res = await t.app.inject({ url: `/v1/screenings?limit=500&${query}`, headers })
  expect(res.statusCode).toBe(200)
  return (res.json().items as { declarationId: string }[]).map((i) => i.declarationId).sort()
}

describe('date-only from/to are days in Asia/Shanghai', () => {
  it('2026-03-01T15:59:59.999Z is 2026-03-01 there, 16:00:00Z is 2026-03-02', async () => {
    const edges = {
      'EDGE-LAST-OF-01': '2026-03-01T15:59:59.999Z',
      'EDGE-FIRST-OF-02': '2026-03-01T16:00:00.000Z',
      'EDGE-FIRST-OF-01': '2026-02-28T16:00:00.000Z',
      'EDGE-LAST-OF-28': '2026-02-28T15:59:59.999Z',
    }
    // The screenings' time moved to the edges (the clock cannot be), in the column the list filters on.
    for (const [id, at] of Object.entries(edges)) {
      const screeningId = await screen(id)
      await t.runtime.services.database.db.execute(
        sql`update screenings set created_at = ${at}::timestamptz where id = ${screeningId}`,
      )
    }
    expect(await listed('declarationId=EDGE-LAST-OF-01')).toEqual(['EDGE-LAST-OF-01'])
    expect(await listed('from=2026-03-01&to=2026-03-02')).toEqual(['EDGE-FIRST-OF-01', 'EDGE-LAST-OF-01'])
    expect(await listed('from=2026-03-02&to=2026-03-03')).toEqual(['EDGE-FIRST-OF-02'])
    expect(await listed('to=2026-03-01')).toEqual(['EDGE-LAST-OF-28'])
    // Date-times keep their own instant.
    expect(await listed('from=2026-03-01T15:59:59.999Z&to=2026-03-01T16:00:00Z')).toEqual(['EDGE-LAST-OF-01'])
    expect(await listed('from=2026-03-02T00:00:00%2B08:00&to=2026-03-02T00:00:00.001%2B08:00')).toEqual([
      'EDGE-FIRST-OF-02',
    ])
  })
})

describe('asOfFrom/asOfTo filter by business day', () => {
  it('both ends included, compared as dates', async () => {
    await screen('ASOF-01', '2026-03-01')
    await screen('ASOF-02', '2026-03-02')
    await screen('ASOF-03', '2026-03-03')
    const asOf = async (query: string) => (await listed(query)).filter((d) => d.startsWith('ASOF'))
    expect(await asOf('asOfFrom=2026-03-02&asOfTo=2026-03-02')).toEqual(['ASOF-02'])
    expect(await asOf('asOfFrom=2026-03-02')).toEqual(['ASOF-02', 'ASOF-03'])
    expect(await asOf('asOfTo=2026-03-01')).toEqual(['ASOF-01'])
  })

  it('refuses a date-time, an impossible day and a year outside 1900–2100 (422 naming the parameter)', async () => {
    for (const [query, path] of [
      ['asOfFrom=2026-03-01T00:00:00Z', '/asOfFrom'],
      ['asOfTo=2026-02-30', '/asOfTo'],
      ['asOfTo=1800-01-01', '/asOfTo'],
      ['updatedSince=yesterday', '/updatedSince'],
    ] as const) {
      const res = await t.app.inject({ url: `/v1/screenings?${query}`, headers })
      expect(res.statusCode).toBe(422)
      const errors = res.json().errors as { path: string; in: string }[]
      expect(errors.length).toBeGreaterThan(0)
      for (const error of errors) expect(error).toMatchObject({ path, in: 'querystring' })
    }
  })
})
