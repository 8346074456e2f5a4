import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appendLog } from '../../scripts/append-log.ts'
import { cliActor } from '../../src/services/actor.ts'
import { readEventPages } from '../../src/services/audit-log.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

const post = async (payload: unknown) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/screenings',
    headers: await t.auth('screener'),
    payload: payload as object,
  })

const declaration = (lines: unknown[]) => ({ declaration: { id: 'LIM-1', direction: 'import' }, lines })
const registryCas = (
  JSON.parse(readFileSync('registry/versions/2024.1.json', 'utf8')) as {
    groups: { cas: { number: string }[] }[]
  }
).groups.flatMap((g) => g.cas.map((c) => c.number))

describe('limits on one declaration', () => {
  it('caps HS codes at 20 characters and CAS numbers at 15 after trimming', async () => {
    const res = await post(
      declaration([
        { lineNo: 1, hsCode: `2903${' '.repeat(10_000)}290090` },
        { lineNo: 2, hsCode: '2903', casNumbers: [`${'0'.repeat(1_000)}87-86-5`] },
        { lineNo: 3, hsCode: '2903', components: [{ cas: `${'0'.repeat(9)}87-86-5` }] },
        // At the caps: still valid (17 characters of HS code, 15 of CAS after trimming).
        { lineNo: 4, hsCode: '2908.11.00.00.001', casNumbers: ['  00000087-86-5  '] },
      ]),
    )
    expect(res.statusCode).toBe(422)
    const errors = res.json().errors.map((e: { path: string; code: string }) => `${e.path} ${e.code}`)
    expect(errors).toEqual([
      '/lines/0/hsCode TOO_BIG',
      '/lines/1/casNumbers/0 TOO_BIG',
      '/lines/2/components/0/cas TOO_BIG',
    ])
  })

  it('counts CAS numbers over the whole declaration: at most 500', async () => {
    const line = (lineNo: number) => ({
      lineNo,
      hsCode: '3907.99',
      casNumbers: Array.from({ length: 20 }, () => '7732-18-5'),
      components: Array.from({ length: 50 }, () => ({ cas: '7732-18-5', massFraction: 0.01 })),
    })
    const res = await post(declaration(Array.from({ length: 8 }, (_, i) => line(i + 1))))
    expect(res.statusCode).toBe(422)
    expect(res.json().errors).toEqual([expect.objectContaining({ path: '/lines', code: 'TOO_MANY_CAS' })])
    expect((await post(declaration(Array.from({ length: 7 }, (_, i) => line(i + 1))))).statusCode).toBe(200)
  })

  it('refuses a declaration whose answer would be more than 30 times its request, recording nothing', async () => {
    const before = (await t.app.inject({ url: '/v1/audit/events', headers: await t.auth('auditor') })).body
    // Ten lines of 50 listed CAS numbers each: ~700 bytes of reason per 12-byte CAS.
    const lines = Array.from({ length: 10 }, (_, l) => ({
      lineNo: l + 1,
      hsCode: '3824890000',
      casNumbers: Array.from({ length: 20 }, (_, i) => registryCas[(l * 20 + i) % registryCas.length]),
      components: Array.from({ length: 30 }, (_, i) => ({
        cas: registryCas[(l + i * 7) % registryCas.length],
      })),
    }))
    const res = await post(declaration(lines))
    expect(res.statusCode).toBe(422)
    expect(res.json()).toMatchObject({ code: 'ANSWER_TOO_LARGE' })
    const after = (await t.app.inject({ url: '/v1/audit/events', headers: await t.auth('auditor') })).body
    expect(after).toBe(before)
    // A small declaration naming many substances may answer 40× its size: under the 64 KiB floor.
    const names = await post(
      declaration([
        {
          lineNo: 1,
          hsCode: '3824',
          description:
            '五氯苯酚 十溴二苯醚 短链氯化石蜡 六氯丁二烯 多氯萘 PFOS PFOA 滴滴涕 林丹 六溴环十二烷',
        },
      ]),
    )
    expect(names.statusCode).toBe(200)
  })
})

describe('audit pages', () => {
  it('end at a byte budget and still read every event once, in order', async () => {
    const { db } = t.runtime.services.database
    const big = 'x'.repeat(100_000)
    await appendLog(db, 30, (n) => ({
      action: 'key.created',
      actor: cliActor(),
      subject: { keyId: `k${n}` },
      payload: { n, big: n % 3 === 0 ? big : 'small' },
    }))
    const sequences: number[] = []
    let pages = 0
    for await (const page of readEventPages(db, {}, { windowSize: 1_000, maxBytes: 250_000 })) {
      pages++
      sequences.push(...page.map((e) => e.sequence))
      // Under 250,000 characters of payload before the page's last event (the one that passed the budget).
      const lengths = page.map((e) => e.payload.length)
      expect(lengths.slice(0, -1).reduce((a, b) => a + b, 0)).toBeLessThan(250_000)
    }
    expect(sequences).toEqual(sequences.map((_, i) => i + 1))
    expect(pages).toBeGreaterThanOrEqual(4)
  })
})

describe('backdated declarations and dates', () => {
  it('answers STRICTER_TODAY on a backdated PCP line, and the list finds such screenings', async () => {
    const res = await post({
      declaration: { id: 'BACKDATED', direction: 'import', date: '2001-01-01' },
      lines: [{ lineNo: 1, hsCode: '2908110000', casNumbers: ['87-86-5'] }],
    })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.decision).toBe('ALLOW')
    expect(body.lines[0].advisories).toEqual([
      expect.objectContaining({
        code: 'STRICTER_TODAY',
        today: expect.objectContaining({ outcome: 'BLOCK' }),
      }),
    ])
    const today = await post({
      declaration: { id: 'TODAY', direction: 'import' },
      lines: [{ lineNo: 1, hsCode: '2908110000', casNumbers: ['87-86-5'] }],
    })
    expect(today.json().decision).toBe('BLOCK')
    const list = await t.app.inject({
      url: '/v1/screenings?advisory=STRICTER_TODAY',
      headers: await t.auth('officer'),
    })
    expect(list.statusCode).toBe(200)
    expect(list.json().items.map((i: { declarationId: string }) => i.declarationId)).toEqual(['BACKDATED'])
    expect(list.json().items[0].stricterToday).toBe(true)
  })

  it('refuses years outside 1900–2100 in bodies and query filters with 422, never 500', async () => {
    for (const date of ['0000-06-15', '1899-12-31', '2101-01-01']) {
      const res = await post({
        declaration: { id: 'OLD', direction: 'import', date },
        lines: [{ lineNo: 1, hsCode: '3907.99' }],
      })
      expect(res.statusCode).toBe(422)
      expect(res.json().errors).toEqual([
        expect.objectContaining({ path: '/declaration/date', code: 'DATE_OUT_OF_RANGE' }),
      ])
    }
    for (const url of [
      '/v1/screenings?from=0000-01-01',
      '/v1/screenings?to=2101-01-01T00:00:00Z',
      '/v1/audit/events?from=0000-01-01',
      '/v1/audit/verify?to=1800-01-01',
      '/v1/registry/versions/2024.1/impact?from=0000-01-01',
    ]) {
      const res = await t.app.inject({ url, headers: await t.auth('admin') })
      expect(res.statusCode, url).toBe(422)
    }
    expect(
      (
        await post({
          declaration: { id: 'EDGE', direction: 'import', date: '1900-01-01' },
          lines: [{ lineNo: 1, hsCode: '3907.99' }],
        })
      ).statusCode,
    ).toBe(200)
  })
})
