import { readFileSync } from 'node:fs'
import iconv from 'iconv-lite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

interface Fixture {
  name: string
  request: unknown
  expect: {
    decision: string
    lines: Record<
      string,
      {
        decision: string
        reasons?: string[]
        includes?: string[]
        advisories?: string[]
        includesAdvisories?: string[]
      }
    >
  }
}
const fixtures = JSON.parse(readFileSync('test/fixtures/declarations/cases.json', 'utf8')) as Fixture[]

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

const post = async (
  payload: unknown,
  headers: Record<string, string> = {},
  role: 'screener' | 'officer' = 'screener',
) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/screenings',
    headers: { ...(await t.auth(role)), ...headers },
    payload: payload as object,
  })

const valid = {
  declaration: { id: 'D-1', direction: 'import' },
  lines: [{ lineNo: 1, hsCode: '290811', casNumbers: ['87-86-5'] }],
}

describe('fixture declarations', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s', async (_name, fixture) => {
    const res = await post(fixture.request)
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.decision).toBe(fixture.expect.decision)
    for (const [lineNo, want] of Object.entries(fixture.expect.lines)) {
      const line = body.lines.find((l: { lineNo: number }) => l.lineNo === Number(lineNo))
      const reasons = line.reasons
        .map((r: { code: string; substanceId: string }) => `${r.code}:${r.substanceId}`)
        .sort()
      const advisories = line.advisories
        .map((a: { code: string; substanceId: string }) => `${a.code}:${a.substanceId}`)
        .sort()
      expect(line.decision, `line ${lineNo}`).toBe(want.decision)
      if (want.reasons) expect(reasons).toEqual([...want.reasons].sort())
      if (want.includes) expect(reasons).toEqual(expect.arrayContaining(want.includes))
      if (want.advisories) expect(advisories).toEqual([...want.advisories].sort())
      if (want.includesAdvisories) expect(advisories).toEqual(expect.arrayContaining(want.includesAdvisories))
      for (const r of line.reasons) {
        expect(r.legalBasis.length).toBeGreaterThan(10)
        expect(r.message.zh).toMatch(/[\u4e00-\u9fff]/)
        expect(r.substance.zh).toMatch(/[\u4e00-\u9fff]/)
      }
    }
  })

  it('covers every reason code and advisory of the contract', () => {
    const text = JSON.stringify(fixtures.map((f) => f.expect))
    for (const code of [
      'CAS_LISTED',
      'HS_DESIGNATES_SUBSTANCE',
      'EXEMPTION_MAY_APPLY',
      'LAB_SCALE_EXEMPTION',
      'TRACE_REVIEW',
      'CAS_REVIEW_LISTED',
      'HS_MAY_CONTAIN',
      'NAME_MENTIONED',
      'ARTICLE_MAY_CONTAIN',
      'TRACE_BELOW_LIMIT',
      'HS_RESIDUAL_CAS_DECLARED',
    ])
      expect(text).toContain(code)
  })
})

describe('POST /v1/screenings', () => {
  it('answers the contract shape with registry and audit', async () => {
    const res = await post(valid)
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body).toMatchObject({
      declarationId: 'D-1',
      decision: 'BLOCK',
      registry: { version: '2025.1', hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
      audit: { sequence: expect.any(Number), hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
    })
    expect(body.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    expect(body.lines[0].hs).toMatchObject({ subheading: '290811' })
    const stored = await t.app.inject({
      url: `/v1/screenings/${body.screeningId}`,
      headers: await t.auth('auditor'),
    })
    expect(stored.json()).toMatchObject({
      screeningId: body.screeningId,
      audit: body.audit,
      disposition: null,
    })
  })

  it.each([
    [{ declaration: { id: '', direction: 'import' }, lines: [] }, ['/declaration/id', '/lines']],
    [
      { declaration: { id: 'x', direction: 'sideways' }, lines: [{ lineNo: 1, hsCode: '29' }] },
      ['/declaration/direction', '/lines/0/hsCode'],
    ],
    [
      {
        declaration: { id: 'x', direction: 'import', date: '2026-02-30' },
        lines: [{ lineNo: 0, hsCode: '2908' }],
      },
      ['/declaration/date', '/lines/0/lineNo'],
    ],
    [
      {
        declaration: { id: 'x', direction: 'import', tradeCountry: 'vn' },
        lines: [{ lineNo: 1, hsCode: '7701', casNumbers: ['87-86-4'] }],
      },
      ['/declaration/tradeCountry', '/lines/0/hsCode', '/lines/0/casNumbers/0'],
    ],
    [
      {
        declaration: { id: 'x', direction: 'import' },
        lines: [
          { lineNo: 1, hsCode: '2908', purpose: 'fun', components: [{ cas: '87-68-3', massFraction: 0 }] },
        ],
      },
      ['/lines/0/purpose', '/lines/0/components/0/massFraction'],
    ],
    [
      {
        declaration: { id: 'x', direction: 'import' },
        lines: [
          { lineNo: 1, hsCode: '2908', description: 'x'.repeat(501), components: [{ massFraction: 2 }] },
        ],
      },
      ['/lines/0/description', '/lines/0/components/0/cas', '/lines/0/components/0/massFraction'],
    ],
    [
      {
        declaration: { id: 'x', direction: 'import', extra: 1 },
        lines: [{ lineNo: 1, hsCode: '2908', casNumbers: Array(21).fill('87-68-3') }],
      },
      ['/declaration/extra', '/lines/0/casNumbers'],
    ],
    [
      {
        declaration: { id: 'x', direction: 'import', customsOffice: '720' },
        lines: [
          {
            lineNo: 1,
            hsCode: '2908',
            quantity: { value: 0, unit: 'KGS' },
            declaredValue: { amount: -1, currency: 'usd' },
          },
          {
            lineNo: 2,
            hsCode: '2908',
            quantity: { value: 5 },
            declaredValue: { amount: 1, currency: 'USD', x: 1 },
          },
        ],
      },
      [
        '/declaration/customsOffice',
        '/lines/0/quantity/value',
        '/lines/0/quantity/unit',
        '/lines/0/declaredValue/amount',
        '/lines/0/declaredValue/currency',
        '/lines/1/quantity/unit',
        '/lines/1/declaredValue/x',
      ],
    ],
    [
      {
        declaration: { id: 'x', direction: 'import' },
        lines: Array.from({ length: 101 }, (_, i) => ({ lineNo: i + 1, hsCode: '2908' })),
      },
      ['/lines'],
    ],
    [
      {
        lines: [
          { lineNo: 1, hsCode: '2908' },
          { lineNo: 1, hsCode: '2908' },
        ],
      },
      ['/declaration', '/lines/1/lineNo'],
    ],
  ])('422 names every problem (%#)', async (payload, paths) => {
    const before = (await t.app.inject({ url: '/v1/audit/verify', headers: await t.auth('auditor') })).json()
      .checked
    const res = await post(payload)
    expect(res.statusCode).toBe(422)
    expect(res.headers['content-type']).toMatch(/problem\+json/)
    const errors = res.json().errors as { path: string; code: string }[]
    expect(errors.map((e) => e.path).sort()).toEqual([...paths].sort())
    const after = (await t.app.inject({ url: '/v1/audit/verify', headers: await t.auth('auditor') })).json()
      .checked
    expect(after).toBe(before)
  })

  it('accepts quantities, declared values and the customs office, and stores them with the request', async () => {
    const request = {
      declaration: { id: 'Q-1', direction: 'import', customsOffice: '7201', tradeCountry: 'VN' },
      lines: [
        {
          lineNo: 1,
          hsCode: '290811',
          casNumbers: ['87-86-5'],
          quantity: { value: 1250.5, unit: '035' },
          declaredValue: { amount: 3100, currency: 'USD' },
        },
        {
          lineNo: 2,
          hsCode: '3824999999',
          quantity: { value: 12, unit: '007' },
          declaredValue: { amount: 0, currency: '142' },
        },
        { lineNo: 3, hsCode: '2909300000', quantity: { value: 2, unit: 'kg' } },
      ],
    }
    const res = await post(request)
    expect(res.statusCode).toBe(200)
    const auditor = await t.auth('auditor')
    const exported = await t.app.inject({
      url: '/v1/audit/events?action=screening.created',
      headers: auditor,
    })
    const event = exported.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((e) => e.subject.screeningId === res.json().screeningId)
    expect(event.payload.request).toEqual(request)
  })

  it('names the CAS check digit problem with its code', async () => {
    const res = await post({
      ...valid,
      lines: [{ lineNo: 1, hsCode: '290811', casNumbers: ['87-86-5', '1163-19-6'] }],
    })
    expect(res.json().errors).toEqual([
      expect.objectContaining({ path: '/lines/0/casNumbers/1', code: 'CAS_CHECK_DIGIT' }),
    ])
  })
})

describe('Idempotency-Key', () => {
  it('replays the stored answer for the same body without a new audit event', async () => {
    const first = await post(valid, { 'idempotency-key': 'idem-1' })
    const second = await post(valid, { 'idempotency-key': 'idem-1' })
    expect(second.statusCode).toBe(200)
    expect(second.json()).toEqual(first.json())
    expect(second.headers['idempotency-replayed']).toBe('true')
  })
  it('refuses the same key with a different body (422)', async () => {
    await post(valid, { 'idempotency-key': 'idem-2' })
    const res = await post(
      { ...valid, declaration: { id: 'D-2', direction: 'import' } },
      { 'idempotency-key': 'idem-2' },
    )
    expect(res.statusCode).toBe(422)
    expect(res.json().code).toBe('IDEMPOTENCY_KEY_REUSED')
  })
  it('compares requests with their defaults written out: purpose commercial sent or left out is the same', async () => {
    const first = await post(valid, { 'idempotency-key': 'idem-defaults' })
    const explicit = {
      ...valid,
      lines: [{ ...valid.lines[0], purpose: 'commercial', components: [] }],
    }
    const second = await post(explicit, { 'idempotency-key': 'idem-defaults' })
    expect(second.statusCode).toBe(200)
    expect(second.headers['idempotency-replayed']).toBe('true')
    expect(second.json().screeningId).toBe(first.json().screeningId)
    const lab = { ...valid, lines: [{ ...valid.lines[0], purpose: 'laboratory-research' }] }
    expect((await post(lab, { 'idempotency-key': 'idem-defaults' })).json().code).toBe(
      'IDEMPOTENCY_KEY_REUSED',
    )
  })
  it('answers 409 while the first request is still running', async () => {
    const [a, b] = await Promise.all([
      post(valid, { 'idempotency-key': 'idem-3' }),
      post(valid, { 'idempotency-key': 'idem-3' }),
    ])
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409])
  })
  it('keys belong to one organisation: another organisation may reuse the string', async () => {
    const first = await post(valid, { 'idempotency-key': 'idem-4' })
    const other = await t.app.inject({
      method: 'POST',
      url: '/v1/screenings',
      headers: {
        authorization: `Bearer ${await t.key('officer', 'elsewhere', 'another-organisation')}`,
        'idempotency-key': 'idem-4',
      },
      payload: valid,
    })
    expect(other.statusCode).toBe(200)
    expect(other.headers['idempotency-replayed']).toBeUndefined()
    expect(other.json().screeningId).not.toBe(first.json().screeningId)
  })
})

describe('reading screenings', () => {
  it("lists with keyset pagination and filters; screeners see only their organisation's", async () => {
    const mine = await t.key('screener', 'pager', 'pager-organisation')
    const headers = { authorization: `Bearer ${mine}` }
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/v1/screenings',
        headers,
        payload: { ...valid, declaration: { id: `PAGE-${i}`, direction: 'import' } },
      })
      ids.push(r.json().screeningId)
    }
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page = await t.app.inject({
        url: `/v1/screenings?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        headers,
      })
      const body = page.json() as { items: { screeningId: string }[]; nextCursor: string | null }
      seen.push(...body.items.map((i) => i.screeningId))
      cursor = body.nextCursor
    } while (cursor)
    expect(seen).toEqual([...ids].reverse())
    const filtered = await t.app.inject({
      url: '/v1/screenings?declarationId=PAGE-3&decision=BLOCK',
      headers: await t.auth('officer'),
    })
    expect(filtered.json().items.map((i: { screeningId: string }) => i.screeningId)).toEqual([ids[3]])
    const foreign = await t.app.inject({ url: `/v1/screenings/${ids[0]}`, headers: await t.auth('screener') })
    expect(foreign.statusCode).toBe(404)
  })
})

describe('list filters', () => {
  it('an empty declarationId= is refused, not ignored', async () => {
    const res = await t.app.inject({ url: '/v1/screenings?declarationId=', headers: await t.auth('officer') })
    expect(res.statusCode).toBe(422)
    expect(res.json().errors).toEqual([
      expect.objectContaining({ path: '/declarationId', code: 'TOO_SMALL', in: 'querystring' }),
    ])
  })
})

describe('one time per screening', () => {
  it("the list's decidedAt and its from/to filters are the answer's decidedAt", async () => {
    const headers = await t.auth('officer')
    const answers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) =>
        (
          await t.app.inject({
            method: 'POST',
            url: '/v1/screenings',
            headers,
            payload: { ...valid, declaration: { id: `TIME-${i}`, direction: 'import' } },
          })
        ).json(),
      ),
    )
    for (const answer of answers) {
      const at = answer.decidedAt as string
      const listed = await t.app.inject({
        url: `/v1/screenings?declarationId=${answer.declarationId}`,
        headers,
      })
      expect(listed.json().items).toEqual([expect.objectContaining({ decidedAt: at })])
      const from = await t.app.inject({
        url: `/v1/screenings?declarationId=${answer.declarationId}&from=${at}&to=${new Date(Date.parse(at) + 1).toISOString()}`,
        headers,
      })
      expect(from.json().items).toHaveLength(1)
    }
  })
})

describe('bodies that are not UTF-8', () => {
  const json = (id: string) =>
    JSON.stringify({
      declaration: { id, direction: 'import', date: '2026-11-28' },
      lines: [{ lineNo: 1, hsCode: '3812391000', description: '短链氯化石蜡 增塑剂' }],
    })
  const send = async (body: Buffer) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/screenings',
      headers: { ...(await t.auth('screener')), 'content-type': 'application/json' },
      payload: body,
    })
  const firstNonAscii = (body: Buffer) => body.findIndex((b) => b >= 0x80)

  it('the same text in UTF-8 is screened: REVIEW for the SCCP name', async () => {
    const res = await send(Buffer.from(json('ENC-UTF8'), 'utf8'))
    expect(res.statusCode).toBe(200)
    expect(res.json().decision).toBe('REVIEW')
  })

  const truncated = () => {
    const whole = Buffer.from(json('ENC-TRUNC'), 'utf8')
    const at = whole.indexOf(Buffer.from('增', 'utf8'))
    // 增 is three bytes: keep its first two, then the rest of the body.
    return { body: Buffer.concat([whole.subarray(0, at + 2), whole.subarray(at + 3)]), offset: at }
  }
  it.each([
    ['GBK', () => iconv.encode(json('ENC-GBK'), 'gbk'), null],
    ['GB18030', () => iconv.encode(json('ENC-GB18030'), 'gb18030'), null],
    [
      'Latin-1',
      () => Buffer.from(json('ENC-LATIN1').replace('短链氯化石蜡 增塑剂', 'Paraffine chlorée'), 'latin1'),
      null,
    ],
    ['a truncated sequence', () => truncated().body, truncated().offset],
    ['a sequence cut by the end of the body', () => Buffer.from('{"a":"短', 'utf8').subarray(0, 8), 6],
  ])(
    '%s is 400 INVALID_ENCODING naming the byte offset; nothing is decided or stored',
    async (_name, make, at) => {
      const body = make()
      const offset = at ?? firstNonAscii(body)
      const before = await t.app.inject({ url: '/v1/audit/verify', headers: await t.auth('auditor') })
      const res = await send(body)
      expect(res.statusCode).toBe(400)
      expect(res.headers['content-type']).toContain('application/problem+json')
      expect(res.json()).toMatchObject({ code: 'INVALID_ENCODING', requestId: expect.any(String) })
      expect(res.json().detail).toContain(`offset ${offset}`)
      const after = await t.app.inject({ url: '/v1/audit/verify', headers: await t.auth('auditor') })
      expect(after.json().checked).toBe(before.json().checked)
    },
  )
})

describe('wrong types and missing values', () => {
  it('a value of the wrong type is INVALID_TYPE; a missing one is REQUIRED', async () => {
    const res = await post({
      declaration: { direction: 'import' },
      lines: [
        {
          lineNo: 1.5,
          hsCode: 3901,
          components: [{ cas: '87-86-5', massFraction: '0.1' }],
        },
      ],
    })
    expect(res.statusCode).toBe(422)
    const codes = Object.fromEntries(
      res.json().errors.map((e: { path: string; code: string }) => [e.path, e.code]),
    )
    expect(codes).toEqual({
      '/declaration/id': 'REQUIRED',
      '/lines/0/lineNo': 'INVALID_TYPE',
      '/lines/0/hsCode': 'INVALID_TYPE',
      '/lines/0/components/0/massFraction': 'INVALID_TYPE',
    })
  })
  it('?limit=abc is INVALID_TYPE in the query string', async () => {
    const res = await t.app.inject({ url: '/v1/screenings?limit=abc', headers: await t.auth('officer') })
    expect(res.statusCode).toBe(422)
    expect(res.json().errors).toEqual([
      expect.objectContaining({ path: '/limit', code: 'INVALID_TYPE', in: 'querystring' }),
    ])
  })
})
