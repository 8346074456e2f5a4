import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildOpenApiDocument } from '../../scripts/openapi-document.ts'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp({ BODY_LIMIT_BYTES: '20000' })
})
afterAll(() => t.close())

const expectProblem = (
  res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
  status: number,
  code: string,
) => {
  expect(res.statusCode).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  const body = res.json() as Record<string, unknown>
  expect(body).toMatchObject({
    status,
    code,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  })
  expect(body.requestId).toBe(res.headers['x-request-id'])
  expect(body.instance).toEqual(expect.stringMatching(/^\//))
  return body
}

describe('configuration', () => {
  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(ConfigError)
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/PORT/)
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/)
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/)
  })
  it('defaults to the contract values', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({ PORT: 3000, HOST: '127.0.0.1', DATA_DIR: './data', LOG_LEVEL: 'info' })
    expect(config.DATABASE_URL).toBeUndefined()
    // Metrics are not authenticated: their listener is loopback-only unless told otherwise (issue 22).
    expect(config).toMatchObject({ METRICS_PORT: 9464, METRICS_HOST: '127.0.0.1' })
  })
  it('refuses a metrics port that is the API port', () => {
    expect(() => loadConfig({ PORT: '3001', METRICS_PORT: '3001' })).toThrow(
      /METRICS_PORT: must differ from PORT/,
    )
    expect(loadConfig({ PORT: '0', METRICS_PORT: '0' })).toMatchObject({ PORT: 0, METRICS_PORT: 0 })
  })
})

describe('health', () => {
  it('is live and ready with the seeded registry', async () => {
    expect((await t.app.inject({ url: '/health/live' })).json()).toEqual({ status: 'ok' })
    const ready = await t.app.inject({ url: '/health/ready' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toMatchObject({ status: 'ok', registryVersion: '2025.1' })
  })
})

/** A raw body POSTed as a screener, exactly as given. */
const postScreening = async (payload: string, contentType = 'application/json') =>
  t.app.inject({
    method: 'POST',
    url: '/v1/screenings',
    headers: { ...(await t.auth('screener')), 'content-type': contentType },
    payload,
  })

describe('problem+json errors', () => {
  it('404 for unknown routes', async () => {
    expectProblem(await t.app.inject({ url: '/nope' }), 404, 'ROUTE_NOT_FOUND')
  })
  it('400 for malformed JSON', async () => {
    expectProblem(await postScreening('{"declaration":'), 400, 'MALFORMED_JSON')
  })
  it('413 for oversized bodies', async () => {
    expectProblem(await postScreening(JSON.stringify({ pad: 'x'.repeat(30_000) })), 413, 'BODY_TOO_LARGE')
  })
  it('422 with JSON pointers for invalid query strings', async () => {
    const res = await t.app.inject({
      url: '/v1/screenings?limit=0&decision=MAYBE',
      headers: await t.auth('officer'),
    })
    const body = expectProblem(res, 422, 'VALIDATION_FAILED')
    expect(body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: '/limit', in: 'querystring' }),
        expect.objectContaining({ path: '/decision', in: 'querystring' }),
      ]),
    )
  })
  it('400 problem+json with a request id for a malformed URL', async () => {
    const res = await t.app.inject({ url: '/v1/screenings/%zz', headers: await t.auth('officer') })
    expectProblem(res, 400, 'BAD_URL')
  })
  it('414 problem+json for an over-long path parameter', async () => {
    const res = await t.app.inject({ url: `/v1/screenings/${'a'.repeat(200)}` })
    expectProblem(res, 414, 'URI_TOO_LONG')
  })
  it('415 for a text/plain body', async () => {
    expectProblem(await postScreening('{"declaration":{}}', 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE')
  })
  it('415 for a charset other than UTF-8', async () => {
    const res = await postScreening('{}', 'application/json; charset=utf-16')
    expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE')
  })
  it('422 naming each field whose text the database could not store (NUL, lone surrogate)', async () => {
    const res = await postScreening(
      '{"declaration":{"id":"D-\\u0000","direction":"import","n\\u0000te":1},' +
        '"lines":[{"lineNo":1,"hsCode":"3812","description":"a\\ud800"}]}',
    )
    const body = expectProblem(res, 422, 'VALIDATION_FAILED')
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { path: '/declaration/id', code: 'INVALID_CHARACTERS', message: expect.any(String), in: 'body' },
        {
          path: '/declaration/n\u0000te',
          code: 'INVALID_CHARACTERS',
          message: expect.any(String),
          in: 'body',
        },
        { path: '/lines/0/description', code: 'INVALID_CHARACTERS', message: expect.any(String), in: 'body' },
      ]),
    )
    const q = await t.app.inject({
      url: '/v1/screenings?declarationId=%00',
      headers: await t.auth('officer'),
    })
    expect(expectProblem(q, 422, 'VALIDATION_FAILED').errors).toEqual([
      expect.objectContaining({ path: '/declarationId', code: 'INVALID_CHARACTERS', in: 'querystring' }),
    ])
  })
  it('answers with its own request id, not a caller’s X-Request-Id (kept as clientRequestId)', async () => {
    const res = await t.app.inject({ url: '/health/live', headers: { 'x-request-id': 'trace-12345678' } })
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })
})

describe('OpenAPI', () => {
  it('serves the committed document', async () => {
    const committed = JSON.parse(readFileSync('openapi/openapi.json', 'utf8'))
    const served = (await t.app.inject({ url: '/openapi.json' })).json()
    expect(served.openapi).toBe('3.1.0')
    expect(served).toEqual(committed)
  })
  it('matches the code (run `npm run openapi` after changing a route)', async () => {
    expect(JSON.parse(await buildOpenApiDocument())).toEqual(
      JSON.parse(readFileSync('openapi/openapi.json', 'utf8')),
    )
  })
  it('renders Swagger UI at /docs', async () => {
    const res = await t.app.inject({ url: '/docs/' })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.body).toContain('swagger')
  })
  it('exposes Prometheus metrics on the metrics listener only, not on the API', async () => {
    const res = await t.app.metricsApp.inject({ url: '/metrics' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('screening_decisions_total')
    expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(404)
    expect((await t.app.metricsApp.inject({ url: '/v1/substances' })).statusCode).toBe(404)
  })
  it('counts the audit batches and events committed', async () => {
    const total = async (name: string) => {
      const res = await t.app.metricsApp.inject({ url: '/metrics' })
      return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(res.body)?.[1])
    }
    const [batches, events] = [await total('audit_batches_total'), await total('audit_events_total')]
    const res = await postScreening(
      JSON.stringify({
        declaration: { id: 'metrics-probe', direction: 'import' },
        lines: [{ lineNo: 1, hsCode: '8471300000' }],
      }),
    )
    expect(res.statusCode, res.body).toBe(200)
    expect(await total('audit_events_total')).toBeGreaterThanOrEqual(events + 1)
    expect(await total('audit_batches_total')).toBeGreaterThanOrEqual(batches + 1)
    expect(await total('audit_batch_seconds_total')).toBeGreaterThan(0)
    // The duration histogram saw the same batches: its count follows the batch counter.
    expect(await total('audit_batch_duration_seconds_count')).toBe(await total('audit_batches_total'))
    expect(await total('audit_batch_duration_seconds_bucket\\{le="\\+Inf"\\}')).toBe(
      await total('audit_batches_total'),
    )
  })
})
