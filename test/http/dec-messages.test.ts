import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import iconv from 'iconv-lite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyFile } from '../../src/cli/verify-file.ts'
import { queryRows } from '../../src/db/client.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

interface Case {
  file: string
  name: string
  contentType?: string
  expect: {
    decision: string
    declarationId: string
    asOf?: string
    lines: Record<
      string,
      {
        decision: string
        reasons?: string[]
        includes?: string[]
        advisories?: string[]
        extracted?: {
          casNumbers: string[]
          components: { cas: string; massFraction: number }[]
          unreadable: string[]
        }
      }
    >
  }
}

const DIR = 'test/fixtures/dec-messages'
const cases = JSON.parse(readFileSync(`${DIR}/cases.json`, 'utf8')) as Case[]
const fixture = (file: string) => readFileSync(join(DIR, file))

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

const postXml = async (
  body: string | Buffer,
  { contentType = 'application/xml', role = 'screener', headers = {} as Record<string, string> } = {},
) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/screenings',
    headers: { ...(await t.auth(role as 'screener')), 'content-type': contentType, ...headers },
    payload: body,
  })

const counts = async () => {
  const [row] = await queryRows<{ events: number; screenings: number }>(
    t.runtime.database.db,
    sql`select (select count(*)::int from audit_events) as events, (select count(*)::int from screenings) as screenings`,
  )
  return row!
}

const tagged = (items: { code: string; substanceId?: string }[]) =>
  items.map((r) => (r.substanceId ? `${r.code}:${r.substanceId}` : r.code)).sort()

describe('fixture messages (test/fixtures/dec-messages)', () => {
  it('has at least 15 hand-made messages, every file listed once', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.xml'))
    expect(files.length).toBeGreaterThanOrEqual(15)
    expect(cases.map((c) => c.file).sort()).toEqual(files.sort())
  })

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const res = await postXml(fixture(c.file), { contentType: c.contentType ?? 'application/xml' })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    const body = res.json()
    expect(body.decision).toBe(c.expect.decision)
    expect(body.declarationId).toBe(c.expect.declarationId)
    if (c.expect.asOf) expect(body.asOf).toBe(c.expect.asOf)
    for (const line of body.lines)
      expect(line.extracted).toEqual(expect.objectContaining({ unreadable: expect.any(Array) }))
    for (const [lineNo, want] of Object.entries(c.expect.lines)) {
      const line = body.lines.find((l: { lineNo: number }) => l.lineNo === Number(lineNo))
      expect(line, `line ${lineNo}`).toBeDefined()
      expect(line.decision, `line ${lineNo}`).toBe(want.decision)
      if (want.reasons) expect(tagged(line.reasons), `line ${lineNo}`).toEqual([...want.reasons].sort())
      if (want.includes) expect(tagged(line.reasons)).toEqual(expect.arrayContaining(want.includes))
      if (want.advisories)
        expect(tagged(line.advisories), `line ${lineNo}`).toEqual([...want.advisories].sort())
      if (want.extracted) expect(line.extracted).toEqual(want.extracted)
    }
  })
})

describe('POST /v1/screenings with a DecMessage', () => {
  const sccp = fixture('01-import-sccp-mixture.xml')

  it('accepts text/xml and a charset that agrees with the declaration', async () => {
    expect((await postXml(sccp, { contentType: 'text/xml' })).statusCode).toBe(200)
    expect((await postXml(sccp, { contentType: 'application/xml; charset=utf-8' })).statusCode).toBe(200)
  })

  it('answers like the JSON path, with extracted and UNREADABLE_CAS on each line', async () => {
    const res = await postXml(fixture('09-import-decabde-mistyped-cas.xml'))
    const body = res.json()
    expect(body).toMatchObject({
      screeningId: expect.any(String),
      registry: { version: expect.any(String) },
      audit: { sequence: expect.any(Number), hash: expect.stringMatching(/^sha256:/) },
    })
    const advisory = body.lines[0].advisories.find((a: { code: string }) => a.code === 'UNREADABLE_CAS')
    expect(advisory).toMatchObject({
      matched: { field: 'description', value: '1163-19-4', kind: 'cas-unreadable' },
    })
    expect(advisory.message.zh).toContain('1163-19-4')
    expect(advisory.substanceId).toBeUndefined()
  })

  it('needs an API key and one of the screening roles', async () => {
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/v1/screenings',
      headers: { 'content-type': 'application/xml' },
      payload: sccp,
    })
    expect(anonymous.statusCode).toBe(401)
    expect((await postXml(sccp, { role: 'auditor' })).statusCode).toBe(403)
    expect((await postXml(sccp, { role: 'officer' })).statusCode).toBe(200)
  })

  it('keeps the message as received, with its sha256, beside the mapped request in the audit event', async () => {
    const gbk = fixture('04-import-tio2-gbk.xml')
    const res = await postXml(gbk)
    expect(res.statusCode).toBe(200)
    const [event] = await queryRows<{ payload: string | Record<string, unknown> }>(
      t.runtime.database.db,
      sql`select payload from audit_events where sequence = ${res.json().audit.sequence}`,
    )
    const payload = (typeof event!.payload === 'string' ? JSON.parse(event!.payload) : event!.payload) as {
      request: {
        declaration: { id: string; customsOffice?: string }
        lines: { quantity?: unknown; declaredValue?: unknown }[]
      }
      message: { format: string; encoding: string; sha256: string; text: string }
      response: { screeningId: string }
    }
    expect(payload.message.format).toBe('DecMessage')
    expect(payload.message.encoding).toBe('GBK')
    expect(payload.message.sha256).toBe(`sha256:${createHash('sha256').update(gbk).digest('hex')}`)
    expect(iconv.encode(payload.message.text, 'gbk').equals(gbk)).toBe(true)
    expect(payload.message.text).toContain('钛白粉')
    expect(payload.request.declaration.id).toBe(res.json().declarationId)
    // Contract §8's fields, filled from the message.
    expect(payload.request.declaration.customsOffice).toBe('7206')
    expect(payload.request.lines[0]).toMatchObject({
      quantity: { value: 25000, unit: '035' },
      declaredValue: { amount: 62500, currency: 'USD' },
    })
    expect(payload.response.screeningId).toBe(res.json().screeningId)
  })

  it('replays the stored answer for the same message and Idempotency-Key, refuses another message with it', async () => {
    const headers = { 'idempotency-key': 'dec-idem-1' }
    const first = await postXml(sccp, { headers })
    const before = await counts()
    const again = await postXml(sccp, { headers })
    expect(again.statusCode).toBe(200)
    expect(again.headers['idempotency-replayed']).toBe('true')
    expect(again.json()).toEqual(first.json())
    expect(await counts()).toEqual(before)
    const other = await postXml(fixture('02-import-decabde.xml'), { headers })
    expect(other.statusCode).toBe(422)
    expect(other.json().code).toBe('IDEMPOTENCY_KEY_REUSED')
    // The same key on the JSON path is a different body too.
    const json = await t.app.inject({
      method: 'POST',
      url: '/v1/screenings',
      headers: { ...(await t.auth('screener')), ...headers },
      payload: { declaration: { id: 'x', direction: 'import' }, lines: [{ lineNo: 1, hsCode: '2801' }] },
    })
    expect(json.statusCode).toBe(422)
  })

  it('re-screens an XML screening from its mapped request, keeping what was extracted', async () => {
    const original = (await postXml(fixture('09-import-decabde-mistyped-cas.xml'))).json()
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/screenings/${original.screeningId}/rescreen`,
      headers: await t.auth('officer'),
    })
    expect(res.statusCode).toBe(200)
    const again = res.json()
    expect(again.rescreenOf).toBe(original.screeningId)
    expect(again.asOf).toBe(original.asOf)
    expect(again.decision).toBe(original.decision)
    expect(again.lines.map((l: { extracted: unknown }) => l.extracted)).toEqual(
      original.lines.map((l: { extracted: unknown }) => l.extracted),
    )
    expect(tagged(again.lines[0].advisories)).toEqual(tagged(original.lines[0].advisories))
    const stored = await t.app.inject({
      url: `/v1/screenings/${original.screeningId}`,
      headers: await t.auth('officer'),
    })
    expect(stored.json().lines[0].extracted).toEqual(original.lines[0].extracted)
  })

  it('leaves the JSON path as it was, and other routes refuse XML bodies with 415', async () => {
    const json = await t.app.inject({
      method: 'POST',
      url: '/v1/screenings',
      headers: await t.auth('screener'),
      payload: {
        declaration: { id: 'J-1', direction: 'import' },
        lines: [{ lineNo: 1, hsCode: '2908110000' }],
      },
    })
    expect(json.statusCode).toBe(200)
    expect(json.json().lines[0].extracted).toBeUndefined()
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/v1/screenings',
          headers: { ...(await t.auth('screener')), 'content-type': 'application/json; charset=gbk' },
          payload: '{}',
        })
      ).statusCode,
    ).toBe(415)
    const review = await t.app.inject({
      method: 'POST',
      url: '/v1/registry/versions',
      headers: { ...(await t.auth('admin')), 'content-type': 'application/xml' },
      payload: sccp,
    })
    expect(review.statusCode).toBe(415)
  })

  it('OpenAPI offers the XML media types with an example that screens as sent', async () => {
    const doc = (await t.app.inject({ url: '/openapi.json' })).json()
    const content = doc.paths['/v1/screenings'].post.requestBody.content
    expect(Object.keys(content)).toEqual(['application/json', 'application/xml', 'text/xml'])
    expect(content['application/xml'].schema.type).toBe('string')
    for (const type of ['application/xml', 'text/xml']) {
      const res = await postXml(content[type].example, { contentType: type })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json().lines[0].extracted.components).toHaveLength(2)
    }
  })

  it('an export holding XML screenings verifies offline', async () => {
    await postXml(fixture('04-import-tio2-gbk.xml'))
    await postXml(fixture('16-import-ethanol-utf8-bom.xml'))
    const res = await t.app.inject({
      url: '/v1/audit/events?format=ndjson',
      headers: await t.auth('auditor'),
    })
    expect(res.body).toContain('"format":"DecMessage"')
    const dir = mkdtempSync(join(tmpdir(), 'popscreen-dec-'))
    try {
      const file = join(dir, 'audit.ndjson')
      writeFileSync(file, res.body)
      expect(await verifyFile(file)).toMatchObject({ ok: true, firstBrokenSequence: null })
      // One character of a stored message changed is found.
      const edited = res.body.replace('钛白粉', '钛白份')
      expect(edited).not.toBe(res.body)
      writeFileSync(file, edited)
      expect(await verifyFile(file)).toMatchObject({ ok: false })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('refused messages (dec-message.md §6) reach neither the decision nor the database', () => {
  const base = readFileSync(join(DIR, '02-import-decabde.xml'), 'utf8')
  const lineOf = base.slice(base.indexOf('<DecList>'), base.indexOf('</DecList>') + '</DecList>'.length)
  const withLines = (n: number) =>
    base.replace(
      lineOf,
      Array.from({ length: n }, (_, i) => lineOf.replace(/<GNo>\d+<\/GNo>/, `<GNo>${i + 1}</GNo>`)).join(''),
    )

  const refusals: [string, string | Buffer, number, string, string?][] = [
    ['not well-formed', base.replace('</DecHead>', '</DecHed>'), 400, 'XML_MALFORMED'],
    [
      'billion laughs',
      `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"><!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">]><DecMessage><DecHead><SeqNo>&i;</SeqNo></DecHead></DecMessage>`,
      400,
      'XML_DTD_FORBIDDEN',
    ],
    [
      'an external entity',
      `<?xml version="1.0"?><!DOCTYPE DecMessage [<!ENTITY x SYSTEM "file:///etc/passwd">]><DecMessage><DecHead><SeqNo>&x;</SeqNo></DecHead></DecMessage>`,
      400,
      'XML_DTD_FORBIDDEN',
    ],
    [
      // Unclosed, so that 200,000 levels fit the 1 MiB body limit; the parser stops at level 33 either way.
      '200,000-deep nesting',
      `<DecMessage>${'<a>'.repeat(200_000)}`,
      422,
      'VALIDATION_FAILED',
    ],
    [
      'an unsupported encoding',
      base.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'a charset contradicting the declaration',
      base,
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'application/xml; charset=GBK',
    ],
    ['a root other than DecMessage', '<Declaration/>', 422, 'VALIDATION_FAILED'],
    ['51 lines', withLines(51), 422, 'VALIDATION_FAILED'],
    ['an invalid field', base.replace('<IEFlag>I</IEFlag>', '<IEFlag>X</IEFlag>'), 422, 'VALIDATION_FAILED'],
    [
      'a body over the limit',
      `${base.slice(0, -20)}${' '.repeat(1_100_000)}</DecMessage>`,
      413,
      'BODY_TOO_LARGE',
    ],
  ]

  it.each(
    refusals.map(
      ([name, body, status, code, contentType]) => [name, status, code, body, contentType] as const,
    ),
  )('%s → %i %s', async (_name, status, code, body, contentType) => {
    await t.auth('screener') // creating the test's key is an audit event of its own
    const before = await counts()
    const res = await postXml(body, { contentType: contentType ?? 'application/xml' })
    expect(res.statusCode, res.body).toBe(status)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json()).toMatchObject({ status, code, requestId: expect.any(String) })
    expect(await counts()).toEqual(before)
  })

  it('a 422 names every element path', async () => {
    const res = await postXml(withLines(51))
    expect(res.json().errors).toEqual([
      expect.objectContaining({
        path: '/DecMessage/DecLists/DecList[51]',
        code: 'TOO_MANY_LINES',
        in: 'body',
      }),
    ])
    const fields = await postXml(
      base
        .replace('<IEFlag>I</IEFlag>', '<IEFlag>X</IEFlag>')
        .replace(/<CodeTS>[^<]*<\/CodeTS>/, '<CodeTS>123</CodeTS>'),
    )
    expect(fields.json().errors.map((e: { path: string }) => e.path)).toEqual([
      '/DecMessage/DecHead/IEFlag',
      '/DecMessage/DecLists/DecList[1]/CodeTS',
    ])
  })

  it('reads 50 lines', async () => {
    const res = await postXml(withLines(50))
    expect(res.statusCode).toBe(200)
    expect(res.json().lines).toHaveLength(50)
  })
})
