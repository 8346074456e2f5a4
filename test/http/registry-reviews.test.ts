import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedDocument } from '../helpers/registry.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

const get = async (url: string, role: 'screener' | 'officer' | 'auditor' | 'admin' = 'officer') =>
  t.app.inject({ url, headers: await t.auth(role) })
const post = async (
  url: string,
  payload: unknown,
  role: 'screener' | 'officer' | 'auditor' | 'admin' = 'officer',
) => t.app.inject({ method: 'POST', url, headers: await t.auth(role), payload: payload as object })

describe('substance look-ups', () => {
  it('names HCBD with its bilingual legal basis for cas=87-68-3', async () => {
    const body = (await get('/v1/substances?cas=87-68-3', 'screener')).json()
    expect(body.items.map((s: { id: string }) => s.id)).toEqual(['hcbd'])
    expect(body.items[0].names.zh).toContain('六氯丁二烯')
    expect(body.items[0].inForceToday.legalBasis).toMatch(/公告2023年第20号.*Announcement 2023 No\. 20/)
  })
  it.each([
    ['cas=0001163-19-5', 'decabde'],
    ['hs=2909.30.00', 'decabde'],
    ['q=ＤＥＣＡ－ＢＤＥ', 'decabde'],
    ['q=短链氯化石蜡', 'sccp'],
    ['q=halowax', 'pcn'],
  ])('%s finds %s', async (query, id) => {
    const body = (await get(`/v1/substances?${encodeURI(query)}`, 'screener')).json()
    expect(body.items.map((s: { id: string }) => s.id)).toContain(id)
  })
  it('returns the HS rules that apply to a code, with HS 2022 text', async () => {
    const body = (await get('/v1/substances?hs=2909300000')).json()
    const deca = body.items.find((s: { id: string }) => s.id === 'decabde')
    expect(deca.matchedHsRules).toEqual([expect.objectContaining({ prefix: '290930', kind: 'residual' })])
    expect(deca.hsRules.find((r: { prefix: string }) => r.prefix === '290930').description).toMatch(/ethers/i)
  })
  it('hs=2908 (a heading) finds PCP by the lines within it', async () => {
    const body = (await get('/v1/substances?hs=2908')).json()
    const pcp = body.items.find((s: { id: string }) => s.id === 'pcp')
    expect(pcp.matchedHsRules).toContainEqual(
      expect.objectContaining({ prefix: '290811', kind: 'designates' }),
    )
  })
  it.each(['-', ' ', '', '——'])('q=%j is 422 NO_SEARCH_TEXT, not every group', async (q) => {
    const res = await get(`/v1/substances?q=${encodeURIComponent(q)}`)
    expect(res.statusCode).toBe(422)
    expect(res.json().errors).toEqual([expect.objectContaining({ path: '/q', code: 'NO_SEARCH_TEXT' })])
  })
  it('shows unconfirmed CAS numbers as verified: false', async () => {
    const pcn = (await get('/v1/substances/pcn')).json()
    expect(pcn.cas.find((c: { number: string }) => c.number === '32241-08-0').verified).toBe(false)
  })
  it('422 for a malformed cas query', async () => {
    const res = await get('/v1/substances?cas=87-68-4')
    expect(res.statusCode).toBe(422)
    expect(res.json().errors[0]).toMatchObject({ path: '/cas', code: 'CAS_CHECK_DIGIT' })
  })
})

describe('registry versions', () => {
  const next = () => {
    const doc = structuredClone(seedDocument()) as ReturnType<typeof seedDocument>
    doc.version = '2099.1'
    const hcbd = doc.groups.find((g) => g.id === 'hcbd')!
    // A new version that bans ethanol as if it were HCBD: easy to see in screenings and impact.
    hcbd.cas.push({
      number: '64-17-5',
      name: 'test listing',
      role: 'related',
      scope: 'ban',
      verified: false,
      sources: ['POLICY'],
    })
    doc.groups = doc.groups.filter((g) => g.id !== 'uv328')
    return doc
  }

  it.each([
    [
      'CAS check digit',
      (d: ReturnType<typeof next>) => {
        d.groups[0]!.cas[0]!.number = '1163-19-6'
      },
      '/groups/0/cas/0/number',
      'CAS_CHECK_DIGIT',
    ],
    [
      'HS digits',
      (d: ReturnType<typeof next>) => {
        d.groups[0]!.hsRules[0]!.prefix = '29a9'
      },
      '/groups/0/hsRules/0/prefix',
      'HS_FORMAT',
    ],
    [
      'HS prefix written with separators',
      (d: ReturnType<typeof next>) => {
        const pcp = d.groups.find((g) => g.id === 'pcp')!
        pcp.hsRules.find((r) => r.prefix === '290811')!.prefix = '2908.11'
      },
      (d: ReturnType<typeof next>) => {
        const g = d.groups.findIndex((x) => x.id === 'pcp')
        const r = d.groups[g]!.hsRules.findIndex((x) => x.prefix === '290811')
        return `/groups/${g}/hsRules/${r}/prefix`
      },
      'HS_FORMAT',
    ],
    [
      'duplicate id',
      (d: ReturnType<typeof next>) => {
        d.groups[1]!.id = 'decabde'
      },
      '/groups/1/id',
      'DUPLICATE_ID',
    ],
    [
      'dates out of order',
      (d: ReturnType<typeof next>) => {
        d.groups[2]!.measures[0]!.validTo = '2020-01-01'
      },
      '/groups/2/measures/0/validTo',
      'DATES_OUT_OF_ORDER',
    ],
    [
      'unknown reference',
      (d: ReturnType<typeof next>) => {
        d.groups[3]!.cas[0]!.sources = ['NOPE']
      },
      '/groups/3/cas/0/sources/0',
      'UNKNOWN_REFERENCE',
    ],
  ])('refuses a document with a bad %s (422)', async (_what, mutate, path, code) => {
    const doc = next()
    mutate(doc)
    const res = await post('/v1/registry/versions', doc, 'admin')
    expect(res.statusCode).toBe(422)
    const pointer = typeof path === 'string' ? path : path(next())
    expect(res.json().errors).toContainEqual(expect.objectContaining({ path: pointer, code }))
  })

  it('imports, diffs, activates without restart, and re-screens', async () => {
    const before = await post('/v1/screenings', {
      declaration: { id: 'ETH-1', direction: 'import', date: '2026-11-01' },
      lines: [{ lineNo: 1, hsCode: '2207100000', casNumbers: ['64-17-5'] }],
    })
    expect(before.json().decision).toBe('ALLOW')

    const imported = await post('/v1/registry/versions', next(), 'admin')
    expect(imported.statusCode).toBe(201)
    expect(imported.json()).toMatchObject({ version: '2099.1', active: false })
    expect((await post('/v1/registry/versions', next(), 'admin')).statusCode).toBe(409)

    const diff = (await get('/v1/registry/versions/2099.1/diff?against=2025.1', 'auditor')).json()
    expect(diff.identifiers.added).toEqual(['hcbd/cas/64-17-5'])
    expect(diff.groups.removed).toEqual(['uv328'])
    expect(diff.groups.changed).toEqual([])

    const impact = await get('/v1/registry/versions/2099.1/impact', 'auditor')
    expect(impact.statusCode).toBe(200)
    const report = impact.json()
    expect(report.items).toEqual([
      expect.objectContaining({
        screeningId: before.json().screeningId,
        decision: { old: 'ALLOW', new: 'BLOCK' },
        lines: [{ lineNo: 1, old: 'ALLOW', new: 'BLOCK' }],
      }),
    ])
    expect(report.checked).toBeGreaterThanOrEqual(1)

    const activated = await post('/v1/registry/versions/2099.1/activate', {}, 'admin')
    expect(activated.json()).toMatchObject({ version: '2099.1', active: true })
    expect((await t.app.inject({ url: '/health/ready' })).json().registryVersion).toBe('2099.1')

    const rescreen = await post(`/v1/screenings/${before.json().screeningId}/rescreen`, {})
    expect(rescreen.json()).toMatchObject({
      decision: 'BLOCK',
      rescreenOf: before.json().screeningId,
      registry: { version: '2099.1' },
      asOf: '2026-11-01',
    })

    const versions = (await get('/v1/registry/versions', 'auditor')).json().items
    expect(
      versions.filter((v: { active: boolean }) => v.active).map((v: { version: string }) => v.version),
    ).toEqual(['2099.1'])

    const audit = (await get('/v1/audit/events?action=registry.activated', 'auditor')).body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(audit.at(-1)).toMatchObject({
      subject: { registryVersion: '2099.1' },
      payload: { previous: '2025.1' },
    })

    await post('/v1/registry/versions/2025.1/activate', {}, 'admin')
  })

  it('screenings in flight finish on the snapshot they started with', async () => {
    const registry = t.runtime.services.registry
    const old = registry.current()!
    const pending = Array.from({ length: 30 }, (_, i) =>
      post('/v1/screenings', {
        declaration: { id: `SWAP-${i}`, direction: 'import' },
        lines: [{ lineNo: 1, hsCode: '2207', casNumbers: ['64-17-5'] }],
      }),
    )
    const swap = post('/v1/registry/versions/2099.1/activate', {}, 'admin')
    const results = await Promise.all(pending)
    await swap
    for (const r of results) {
      const body = r.json()
      expect(body.decision).toBe(body.registry.version === '2099.1' ? 'BLOCK' : 'ALLOW')
      expect([old.hash, registry.current()!.hash]).toContain(body.registry.hash)
    }
    await post('/v1/registry/versions/2025.1/activate', {}, 'admin')
  })
})

describe('review queue', () => {
  const reviewScreening = async (id: string) =>
    (
      await post(
        '/v1/screenings',
        {
          declaration: { id, direction: 'import' },
          lines: [
            { lineNo: 1, hsCode: '290329', description: 'chlorinated solvent' },
            { lineNo: 2, hsCode: '6109100000' },
          ],
        },
        'screener',
      )
    ).json()

  it('open → resolve → audit event → disposition', async () => {
    const screening = await reviewScreening('REV-1')
    expect(screening.decision).toBe('REVIEW')
    const open = (await get('/v1/reviews?status=open'))
      .json()
      .items.find((c: { screeningId: string }) => c.screeningId === screening.screeningId)
    expect(open.lines).toEqual([
      { lineNo: 1, reasons: [expect.objectContaining({ code: 'HS_MAY_CONTAIN', substanceId: 'hcbd' })] },
    ])
    expect((await get(`/v1/screenings/${screening.screeningId}`)).json()).toMatchObject({
      reviewId: open.id,
      disposition: null,
    })

    const resolved = await post(`/v1/reviews/${open.id}/resolve`, {
      outcome: 'ALLOW',
      reasonCode: 'LAB_REPORT_ABSENT',
      note: '检测报告显示未检出 HCBD',
    })
    expect(resolved.statusCode).toBe(200)
    expect(resolved.json()).toMatchObject({
      status: 'resolved',
      resolution: { outcome: 'ALLOW', reasonCode: 'LAB_REPORT_ABSENT' },
    })

    const stored = (await get(`/v1/screenings/${screening.screeningId}`, 'auditor')).json()
    expect(stored.disposition).toMatchObject({
      outcome: 'ALLOW',
      reasonCode: 'LAB_REPORT_ABSENT',
      note: '检测报告显示未检出 HCBD',
      decidedBy: { role: 'officer' },
    })

    const events = (await get('/v1/audit/events?action=review.resolved', 'auditor')).body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(events.at(-1)).toMatchObject({
      subject: { reviewId: open.id, screeningId: screening.screeningId },
      decision: 'ALLOW',
      sequence: resolved.json().resolution.auditSequence,
    })

    const again = await post(`/v1/reviews/${open.id}/resolve`, {
      outcome: 'BLOCK',
      reasonCode: 'OTHER',
      note: 'second thoughts',
    })
    expect(again.statusCode).toBe(409)
    expect(
      (await get(`/v1/reviews?status=resolved`)).json().items.map((c: { id: string }) => c.id),
    ).toContain(open.id)
  })

  it('a declaration with BLOCK lines never ends ALLOW: 409, the case stays open; BLOCK resolves it', async () => {
    const screening = (
      await post('/v1/screenings', {
        declaration: { id: 'REV-BLOCK', direction: 'import', date: '2026-11-28' },
        lines: [
          { lineNo: 1, hsCode: '2908110000' },
          { lineNo: 2, hsCode: '3916909000', description: '十溴二苯醚' },
        ],
      })
    ).json()
    expect(screening.decision).toBe('BLOCK')
    expect(screening.lines.map((l: { decision: string }) => l.decision)).toEqual(['BLOCK', 'REVIEW'])
    const { reviewId } = (await get(`/v1/screenings/${screening.screeningId}`)).json()
    expect(reviewId).toEqual(expect.any(String))

    const allow = await post(`/v1/reviews/${reviewId}/resolve`, {
      outcome: 'ALLOW',
      reasonCode: 'LAB_REPORT_ABSENT',
      note: '检测报告显示未检出十溴二苯醚',
    })
    expect(allow.statusCode).toBe(409)
    expect(allow.headers['content-type']).toContain('application/problem+json')
    expect(allow.json()).toMatchObject({
      code: 'BLOCK_LINES_STAND',
      detail: expect.stringContaining('line 1'),
    })
    expect((await get(`/v1/reviews/${reviewId}`)).json()).toMatchObject({ status: 'open', resolution: null })
    expect((await get(`/v1/screenings/${screening.screeningId}`)).json().disposition).toBeNull()

    const block = await post(`/v1/reviews/${reviewId}/resolve`, {
      outcome: 'BLOCK',
      reasonCode: 'OTHER',
      note: '第1项为五氯苯酚，整票不予放行',
    })
    expect(block.statusCode).toBe(200)
    const stored = (await get(`/v1/screenings/${screening.screeningId}`)).json()
    expect(stored).toMatchObject({
      decision: 'BLOCK',
      disposition: { outcome: 'BLOCK', reasonCode: 'OTHER' },
    })
  })

  it.each([
    ['ALLOW', 'CONFIRMED_PRESENT'],
    ['BLOCK', 'PERMIT_VERIFIED'],
    ['BLOCK', 'LAB_REPORT_ABSENT'],
  ])(
    'outcome %s with reason %s is 422 REASON_CONTRADICTS_OUTCOME; the case stays open',
    async (outcome, reasonCode) => {
      const screening = await reviewScreening(`REV-MISMATCH-${outcome}-${reasonCode}`)
      const { reviewId } = (await get(`/v1/screenings/${screening.screeningId}`)).json()
      const res = await post(`/v1/reviews/${reviewId}/resolve`, { outcome, reasonCode, note: 'x' })
      expect(res.statusCode).toBe(422)
      expect(res.json().errors).toEqual([
        expect.objectContaining({ path: '/reasonCode', code: 'REASON_CONTRADICTS_OUTCOME', in: 'body' }),
      ])
      expect((await get(`/v1/reviews/${reviewId}`)).json().status).toBe('open')
    },
  )

  it('requires a note and a known reason code; screeners and auditors may not resolve', async () => {
    const screening = await reviewScreening('REV-2')
    const { reviewId } = (await get(`/v1/screenings/${screening.screeningId}`)).json()
    const bad = await post(`/v1/reviews/${reviewId}/resolve`, {
      outcome: 'MAYBE',
      reasonCode: 'BECAUSE',
      note: ' ',
    })
    expect(bad.statusCode).toBe(422)
    expect(
      bad
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['/note', '/outcome', '/reasonCode'])
    for (const role of ['screener', 'auditor'] as const)
      expect(
        (
          await post(
            `/v1/reviews/${reviewId}/resolve`,
            { outcome: 'BLOCK', reasonCode: 'CONFIRMED_PRESENT', note: 'x' },
            role,
          )
        ).statusCode,
      ).toBe(403)
    expect((await get(`/v1/reviews/${reviewId}`, 'auditor')).json().status).toBe('open')
  })
})
