import { readFileSync } from 'node:fs'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { canonicalJson } from '../../src/core/canonical-json.ts'
import { queryRows } from '../../src/db/client.ts'
import { serializerCompiler } from '../../src/http/validation.ts'
import { openApiViolation } from '../helpers/openapi-responses.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

const fixtures = JSON.parse(readFileSync('test/fixtures/declarations/cases.json', 'utf8')) as {
  request: unknown
}[]

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

const screen = async (request: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/screenings',
    headers: { ...(await t.auth('officer')), ...headers },
    payload: request as object,
  })

const storedPayload = async (sequence: number) =>
  (
    await queryRows<{ payload: string }>(
      t.runtime.database.db,
      sql`select payload::text as payload from audit_events where sequence = ${sequence}`,
    )
  )[0]!.payload

describe('a screening is serialised once', () => {
  it('answers with canonical JSON whose text, without `audit`, is the stored and hashed payload’s', async () => {
    for (const { request } of fixtures) {
      const res = await screen(request)
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
      const answer = res.json()
      expect(res.body).toBe(canonicalJson(answer))
      const withoutAudit = res.body.replace(`"audit":${canonicalJson(answer.audit)},`, '')
      expect(withoutAudit).not.toBe(res.body)
      const payload = await storedPayload(answer.audit.sequence)
      // The request as validated (defaults filled in) comes first: "request" sorts before "response".
      expect(payload.endsWith(`,"response":${withoutAudit}}`)).toBe(true)
      expect(payload).toBe(canonicalJson(JSON.parse(payload)))
    }
  })

  it('replays and rescreens with canonical JSON too; a replay is the first answer byte for byte', async () => {
    const request = fixtures[0]!.request
    const first = await screen(request, { 'idempotency-key': 'once-1' })
    const again = await screen(request, { 'idempotency-key': 'once-1' })
    expect(again.headers['idempotency-replayed']).toBe('true')
    expect(again.body).toBe(first.body)
    const rescreened = await t.app.inject({
      method: 'POST',
      url: `/v1/screenings/${first.json().screeningId}/rescreen`,
      headers: await t.auth('officer'),
    })
    expect(rescreened.statusCode).toBe(200)
    expect(rescreened.body).toBe(canonicalJson(rescreened.json()))
    expect(rescreened.json().rescreenOf).toBe(first.json().screeningId)
  })
})

describe('responses are checked by the tests, not at run time', () => {
  it('serialises a response without validating it against its schema', () => {
    const serialize = serializerCompiler({
      schema: z.object({ a: z.string() }),
      method: 'GET',
      url: '/',
      httpStatus: '200',
    })
    expect(serialize({ a: 1, b: true })).toBe('{"a":1,"b":true}')
  })

  it('the test apps fail a test whose response breaks openapi/openapi.json', async () => {
    const service = t.runtime.services.screenings
    const real = service.screen
    service.screen = async (input) => {
      const { answer, replayed } = await real.call(service, input)
      const { audit: _dropped, ...rest } = JSON.parse(answer.body)
      return { answer: { ...answer, body: canonicalJson(rest) }, replayed }
    }
    try {
      await expect(screen(fixtures[0]!.request)).rejects.toThrow(
        /breaks openapi.*must have required property 'audit'/,
      )
    } finally {
      service.screen = real
    }
  })

  it('names what breaks the document: a member, an undescribed status or content type', () => {
    const response = (statusCode: number, body: unknown, contentType = 'application/json') => ({
      method: 'GET',
      url: '/v1/screenings?limit=5',
      statusCode,
      contentType,
      body: JSON.stringify(body),
    })
    expect(openApiViolation(response(200, { items: [], nextCursor: null }))).toBeNull()
    expect(openApiViolation(response(200, { items: [], nextCursor: null, extra: 1 }))).toMatch(
      /must NOT have additional properties/,
    )
    expect(openApiViolation(response(200, { items: [] }))).toMatch(/nextCursor/)
    const problem = {
      type: 'about:blank',
      title: 'x',
      status: 422,
      detail: 'x',
      instance: '/',
      code: 'VALIDATION_FAILED',
      requestId: 'r',
    }
    // The list declares each error status it answers (a 404 it cannot answer is not among them).
    expect(openApiViolation(response(422, problem, 'application/problem+json'))).toBeNull()
    // …and each status's codes: an unknown code, or a known one of another status, is a broken promise.
    expect(openApiViolation(response(422, { ...problem, code: 'X' }, 'application/problem+json'))).toMatch(
      /code must be equal to one of the allowed values/,
    )
    expect(
      openApiViolation(response(422, { ...problem, code: 'UNAUTHORIZED' }, 'application/problem+json')),
    ).toMatch(/code must be equal to one of the allowed values/)
    expect(openApiViolation(response(422, { status: 'x' }, 'application/problem+json'))).toMatch(/required/)
    expect(openApiViolation(response(404, problem, 'application/problem+json'))).toMatch(
      /status not described/,
    )
    // Shared answers (components.responses) are checked against their own schema.
    expect(
      openApiViolation(
        response(401, { ...problem, status: 401, code: 'UNAUTHORIZED' }, 'application/problem+json'),
      ),
    ).toBeNull()
    expect(openApiViolation(response(401, { status: 401 }, 'application/problem+json'))).toMatch(/required/)
    expect(openApiViolation(response(302, {}))).toMatch(/status not described/)
    expect(openApiViolation({ ...response(200, {}), url: '/metrics' })).toBeNull()
  })
})
