import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROLES } from '../../src/services/actor.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

const logLines: string[] = []
const sink = new Writable({
  write(chunk, _enc, done) {
    logLines.push(String(chunk))
    done()
  },
})

let t: TestApp
beforeAll(async () => {
  t = await createTestApp(
    { RATE_LIMIT_MAX: '1000' },
    pino({ level: 'trace', redact: { paths: ['req.headers.authorization'], censor: '[REDACTED]' } }, sink),
  )
})
afterAll(() => t.close())

/** Every /v1 route with the roles it declares, read from the app's own registrations. */
const v1Routes = (app: TestApp['app']) => app.protectedRoutes

describe('route table', () => {
  it('every /v1 route in the OpenAPI document declares roles and bearer security', async () => {
    const doc = (await t.app.inject({ url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { security?: unknown; description?: string }>>
    }
    const paths = Object.entries(doc.paths).filter(([p]) => p.startsWith('/v1/'))
    const documented = paths.flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`),
    )
    const matrix = v1Routes(t.app).map((r) => `${r.method} ${r.url}`)
    // The matrix and the documentation come from the same registrations: nothing escapes either.
    expect(matrix.sort()).toEqual(documented.sort())
    for (const [, ops] of paths)
      for (const op of Object.values(ops)) {
        expect(op.security).toEqual([{ bearerAuth: [] }])
        expect(op.description).toMatch(/\*\*Roles:\*\*/)
      }
  })

  it('refuses to start with a /v1 route that declares no roles', async () => {
    const Fastify = (await import('fastify')).default
    const { auth } = await import('../../src/http/plugins/auth.ts')
    const app = Fastify()
    await app.register(auth, { keys: t.runtime.services.keys })
    expect(() => app.get('/v1/unguarded', async () => 'x')).toThrow(/declares no roles/)
    await app.close()
  })
})

describe('role matrix', () => {
  const concrete = (url: string) =>
    url.replace(':id', '00000000-0000-7000-8000-000000000000').replace(':version', '2024.1')

  it('answers 401 without a key and 401 with an unknown key on every /v1 route', async () => {
    for (const route of v1Routes(t.app)) {
      const none = await t.app.inject({ method: route.method as 'GET', url: concrete(route.url) })
      expect(none.statusCode, `${route.method} ${route.url}`).toBe(401)
      expect(none.headers['www-authenticate']).toMatch(/Bearer/)
      const bad = await t.app.inject({
        method: route.method as 'GET',
        url: concrete(route.url),
        headers: { authorization: 'Bearer pops_notarealkey' },
      })
      expect(bad.statusCode).toBe(401)
    }
  })

  it('lets exactly the declared roles through', async () => {
    const rows = v1Routes(t.app)
    expect(rows.length).toBeGreaterThanOrEqual(17)
    for (const route of rows)
      for (const role of ROLES) {
        const res = await t.app.inject({
          method: route.method as 'GET',
          url: concrete(route.url),
          headers: await t.auth(role),
          ...(route.method === 'POST' ? { payload: {} } : {}),
        })
        const label = `${role} ${route.method} ${route.url} → ${res.statusCode}`
        if (route.roles.includes(role)) expect(res.statusCode, label).not.toBe(403)
        else {
          expect(res.statusCode, label).toBe(403)
          expect(res.json().code).toBe('FORBIDDEN')
        }
        expect(res.statusCode, label).not.toBe(500)
      }
  })
})

describe('keys', () => {
  it('a revoked key is refused at once', async () => {
    const secret = await t.key('officer', 'to-revoke')
    const headers = { authorization: `Bearer ${secret}` }
    expect((await t.app.inject({ url: '/v1/reviews', headers })).statusCode).toBe(200)
    const list = await t.app.inject({ url: '/v1/keys', headers: await t.auth('admin') })
    const id = list.json().items.find((k: { name: string }) => k.name === 'to-revoke').id
    const revoked = await t.app.inject({
      method: 'POST',
      url: `/v1/keys/${id}/revoke`,
      headers: await t.auth('admin'),
    })
    expect(revoked.json().revokedAt).toEqual(expect.any(String))
    expect((await t.app.inject({ url: '/v1/reviews', headers })).statusCode).toBe(401)
  })

  it('admins create keys over the API; the secret works and is never listed', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: await t.auth('admin'),
      payload: { role: 'auditor', name: 'api-made' },
    })
    expect(created.statusCode).toBe(201)
    const { secret } = created.json()
    expect(secret).toMatch(/^pops_[A-Za-z0-9_-]{32}$/)
    expect(
      (await t.app.inject({ url: '/v1/audit/verify', headers: { authorization: `Bearer ${secret}` } }))
        .statusCode,
    ).toBe(200)
    const list = await t.app.inject({ url: '/v1/keys', headers: await t.auth('admin') })
    expect(list.body).not.toContain(secret)
  })

  it('never writes a secret to the logs or the audit log', async () => {
    const secret = await t.key('screener', 'log-check')
    await t.app.inject({ url: '/v1/substances?q=x', headers: { authorization: `Bearer ${secret}` } })
    await t.app.inject({ url: '/v1/keys', headers: { authorization: `Bearer ${secret}` } })
    expect(logLines.length).toBeGreaterThan(0)
    expect(logLines.join('')).not.toContain(secret)
    const audit = await t.app.inject({ url: '/v1/audit/events', headers: await t.auth('auditor') })
    expect(audit.body).not.toContain(secret)
  })
})

describe('rate limit', () => {
  it('answers 429 problem+json with Retry-After once a key exceeds its limit', async () => {
    const limited = await createTestApp({ RATE_LIMIT_MAX: '3' })
    try {
      const headers = await limited.auth('screener')
      const codes: number[] = []
      for (let i = 0; i < 5; i++)
        codes.push((await limited.app.inject({ url: '/v1/substances', headers })).statusCode)
      expect(codes).toEqual([200, 200, 200, 429, 429])
      const res = await limited.app.inject({ url: '/v1/substances', headers })
      expect(res.headers['retry-after']).toBeDefined()
      expect(res.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' })
      // Another key has its own budget.
      expect(
        (await limited.app.inject({ url: '/v1/substances', headers: await limited.auth('officer') }))
          .statusCode,
      ).toBe(200)
    } finally {
      await limited.close()
    }
  })
})

describe('security headers', () => {
  it('sets helmet headers', async () => {
    const res = await t.app.inject({ url: '/health/live' })
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['strict-transport-security']).toBeDefined()
    expect(res.headers['content-security-policy']).toContain("default-src 'none'")
  })
})

describe('load shedding', () => {
  it('answers 503 OVERLOADED with Retry-After while the event loop is stalled', async () => {
    const busy = await createTestApp({ MAX_EVENT_LOOP_DELAY_MS: '50' })
    try {
      // A stall longer than the one-second sampling interval, as a runaway request would cause; the
      // sampler then sees the loop's mean delay far above the 50 ms limit.
      const until = Date.now() + 1_500
      while (Date.now() < until) {
        // busy
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
      const res = await busy.app.inject({ url: '/v1/screenings', headers: await busy.auth('officer') })
      expect(res.statusCode).toBe(503)
      expect(res.headers['retry-after']).toBe('5')
      expect(res.json()).toMatchObject({ code: 'OVERLOADED', status: 503 })
      let recovered = 0
      for (let i = 0; i < 30 && recovered !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        recovered = (await busy.app.inject({ url: '/v1/screenings', headers: await busy.auth('officer') }))
          .statusCode
      }
      expect(recovered).toBe(200)
    } finally {
      await busy.close()
    }
  })
})
