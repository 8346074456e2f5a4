import { readFileSync } from 'node:fs'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows } from '../../src/db/client.ts'
import { createTestApp, screenAsOfficer, type TestApp } from '../helpers/test-app.ts'

const fixtures = JSON.parse(readFileSync('test/fixtures/declarations/cases.json', 'utf8')) as {
  request: object
}[]

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

const screen = (payload: object) => screenAsOfficer(t, payload)

const factsOf = (where = sql`true`) =>
  queryRows<Record<string, unknown>>(
    t.runtime.services.database.db,
    sql`select screening_id, line_no, declaration_id, direction, decided_at::text as decided_at,
      decided_day::text as decided_day, audit_sequence::int as audit_sequence, registry_version,
      declaration_decision, hs_code, cas_numbers, groups, reason_codes, decision, quantity::float8 as quantity,
      unit, kilograms::float8 as kilograms, declared_value::float8 as declared_value, currency, trade_country,
      customs_office from screening_lines where ${where} order by audit_sequence, line_no`,
  )

describe('the per-line fact table', () => {
  it('holds each line with its facts, written with the screening and its audit event', async () => {
    const answer = await screen({
      declaration: {
        id: 'F-1',
        direction: 'export',
        tradeCountry: 'DE',
        customsOffice: '7201',
        date: '2026-03-01',
      },
      lines: [
        {
          lineNo: 3,
          hsCode: '2908.11.00',
          casNumbers: ['0000087-86-5'],
          components: [{ cas: '1163195', massFraction: 0.2 }],
          description: '十溴二苯醚',
          quantity: { value: 1250.5, unit: '035' },
          declaredValue: { amount: 3100.25, currency: 'USD' },
        },
        { lineNo: 7, hsCode: '3926909090', quantity: { value: 12, unit: '007' } },
      ],
    })
    const rows = await factsOf(sql`screening_id = ${answer.screeningId}`)
    expect(rows).toHaveLength(2)
    const [first, second] = rows as [Record<string, unknown>, Record<string, unknown>]
    expect(first).toMatchObject({
      line_no: 3,
      declaration_id: 'F-1',
      direction: 'export',
      audit_sequence: answer.audit.sequence,
      registry_version: answer.registry.version,
      declaration_decision: answer.decision,
      hs_code: '29081100',
      cas_numbers: ['87-86-5', '1163-19-5'],
      decision: answer.lines[0].decision,
      quantity: 1250.5,
      unit: '035',
      kilograms: 1250.5,
      declared_value: 3100.25,
      currency: 'USD',
      trade_country: 'DE',
      customs_office: '7201',
    })
    expect(first.groups).toEqual(
      [...new Set(answer.lines[0].reasons.map((r: { substanceId: string }) => r.substanceId))].sort(),
    )
    expect(first.groups).toEqual(expect.arrayContaining(['decabde', 'pcp']))
    expect(new Date(String(first.decided_at)).toISOString()).toBe(answer.decidedAt)
    expect(second).toMatchObject({ line_no: 7, quantity: 12, unit: '007', kilograms: null, groups: [] })
  })

  it('dates a line by its decided day in Asia/Shanghai', async () => {
    const answer = await screen({
      declaration: { id: 'F-2', direction: 'import' },
      lines: [{ lineNo: 1, hsCode: '2908' }],
    })
    const [row] = await factsOf(sql`screening_id = ${answer.screeningId}`)
    const shanghai = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(
      new Date(answer.decidedAt),
    )
    expect(row!.decided_day).toBe(shanghai)
  })

  it('back-fills, in migration 0004, the same facts the screening path writes', async () => {
    for (const f of fixtures) await screen(f.request)
    await screen({
      declaration: { id: 'F-3', direction: 'import', tradeCountry: 'VN', customsOffice: '7202' },
      lines: [
        {
          lineNo: 1,
          hsCode: '3824 99 99',
          components: [{ cas: '85535-84-8', massFraction: 0.02 }, { cas: '0085535-84-8' }],
          quantity: { value: 20, unit: 'kg' },
          declaredValue: { amount: 0, currency: '502' },
        },
      ],
    })
    const written = await factsOf()
    expect(written.length).toBeGreaterThan(15)
    const migration = readFileSync('migrations/0004_screening-lines.sql', 'utf8')
    const backFill = migration
      .split('--> statement-breakpoint')
      .find((s) => s.includes('INSERT INTO "screening_lines"'))!
    const db = t.runtime.services.database.db
    await db.execute(sql`delete from screening_lines`)
    await db.execute(sql.raw(backFill))
    expect(await factsOf()).toEqual(written)
  })

  it('marks where each line stands in its screening, and migration 0011 back-fills the same marks', async () => {
    const db = t.runtime.services.database.db
    // Earlier tests' rows were re-inserted by migration 0004's back-fill, without marks: leave them out.
    const [{ after }] = (await queryRows<{ after: number }>(
      db,
      sql`select coalesce(max(audit_sequence), 0)::int as after from screening_lines`,
    )) as [{ after: number }]
    const answer = await screen({
      declaration: { id: 'F-4', direction: 'import' },
      lines: [
        { lineNo: 6, hsCode: '2908110000', casNumbers: ['87-86-5'] },
        { lineNo: 2, hsCode: '3926909090' },
        { lineNo: 4, hsCode: '3824999990', casNumbers: ['87-86-5', '1163-19-5'] },
        { lineNo: 5, hsCode: '3824999990', casNumbers: ['1163-19-5'] },
        { lineNo: 8, hsCode: '2908110000', casNumbers: ['1163-19-5'] },
      ],
    })
    for (const f of fixtures) await screen(f.request)
    const marks = () =>
      queryRows<Record<string, unknown>>(
        t.runtime.services.database.db,
        sql`select screening_id, line_no, groups, first_line, first_groups, first_hs_groups, first_pop, first_pop_hs
          from screening_lines where audit_sequence > ${after} order by audit_sequence, line_no`,
      )
    const written = await marks()
    const ofAnswer = written.filter((r) => r.screening_id === answer.screeningId)
    expect(ofAnswer.map((r) => r.groups)).toEqual([
      [],
      ['decabde', 'pcp'],
      ['decabde'],
      ['pcp'],
      ['decabde', 'pcp'],
    ])
    expect(ofAnswer).toMatchObject([
      { line_no: 2, first_line: true, first_groups: [], first_pop: false, first_pop_hs: false },
      {
        line_no: 4,
        first_line: false,
        first_groups: ['decabde', 'pcp'],
        first_hs_groups: ['decabde', 'pcp'],
        first_pop: true,
        first_pop_hs: true,
      },
      { line_no: 5, first_groups: [], first_hs_groups: [], first_pop: false, first_pop_hs: false },
      { line_no: 6, first_groups: [], first_hs_groups: ['pcp'], first_pop: false, first_pop_hs: true },
      { line_no: 8, first_groups: [], first_hs_groups: ['decabde'], first_pop: false, first_pop_hs: false },
    ])
    expect(written.filter((r) => r.first_line)).toHaveLength(1 + fixtures.length)

    await db.execute(sql`update screening_lines set first_line = false, first_groups = '{}', first_hs_groups = '{}',
      first_pop = false, first_pop_hs = false`)
    const migration = readFileSync('migrations/0011_screening-lines-firsts.sql', 'utf8')
    for (const statement of migration.split('--> statement-breakpoint').filter((s) => s.includes('UPDATE')))
      await db.execute(sql.raw(statement))
    expect(await marks()).toEqual(written)
  })
})
