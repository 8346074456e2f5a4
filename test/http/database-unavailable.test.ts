import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import type { Role } from '../../src/services/actor.ts'
import { createTestApp, type TestApp, usingPostgres } from '../helpers/test-app.ts'

/**
 * A database that cannot serve is a 503 problem+json with Retry-After on every route that needs it —
 * the API-key lookup included, which runs before any route — and never a 500. The answer changes
 * nothing: once the database serves again, the same requests succeed.
 */

const NO_SUCH_ID = '00000000-0000-7000-8000-000000000000'
const concrete = (url: string) => url.replace(':id', NO_SUCH_ID).replace(':version', '2024.1')
const SCREENING = {
  declaration: { id: 'DOWN-1', direction: 'import' },
  lines: [{ lineNo: 1, hsCode: '290811', casNumbers: ['87-86-5'] }],
}

type Res = Awaited<ReturnType<TestApp['app']['inject']>>

function expectUnavailable(res: Res, label: string) {
  expect(res.statusCode, `${label}: ${res.body}`).toBe(503)
  expect(res.headers['content-type'], label).toMatch(/^application\/problem\+json/)
  expect(Number(res.headers['retry-after']), label).toBeGreaterThan(0)
  const body = res.json()
  expect(['SERVICE_UNAVAILABLE', 'NOT_READY'], label).toContain(body.code)
  expect(body.requestId, label).toBe(res.headers['x-request-id'])
}

/** Every /v1 route with a key the service has not seen yet: the key lookup needs the database. */
async function everyRouteWithAnUnseenKey(t: TestApp, secrets: Record<Role, string>) {
  const rows = t.app.protectedRoutes
  expect(rows.length).toBeGreaterThanOrEqual(20)
  for (const route of rows) {
    const role = route.roles[0]!
    const res = await t.app.inject({
      method: route.method as 'GET',
      url: concrete(route.url),
      headers: { authorization: `Bearer ${secrets[role]}` },
      ...(route.method === 'POST' ? { payload: {} } : {}),
    })
    expectUnavailable(res, `unseen ${role} key: ${route.method} ${route.url}`)
  }
}

/** The classes of work with keys already known (cached): reads, writes, long reads, reports, probes. */
async function everyClassWithAKnownKey(t: TestApp, screeningId: string) {
  const headers = {
    screener: await t.auth('screener'),
    officer: await t.auth('officer'),
    auditor: await t.auth('auditor'),
    admin: await t.auth('admin'),
  }
  const requests: { label: string; run: () => Promise<Res> }[] = [
    {
      label: 'screen (write)',
      run: () =>
        t.app.inject({
          method: 'POST',
          url: '/v1/screenings',
          headers: headers.screener,
          payload: SCREENING,
        }),
    },
    {
      label: 'list screenings',
      run: () => t.app.inject({ url: '/v1/screenings', headers: headers.officer }),
    },
    {
      label: 'read a screening',
      run: () => t.app.inject({ url: `/v1/screenings/${screeningId}`, headers: headers.officer }),
    },
    { label: 'review queue', run: () => t.app.inject({ url: '/v1/reviews', headers: headers.officer }) },
    { label: 'keys', run: () => t.app.inject({ url: '/v1/keys', headers: headers.admin }) },
    {
      label: 'create a key (write)',
      run: () =>
        t.app.inject({
          method: 'POST',
          url: '/v1/keys',
          headers: headers.admin,
          payload: { role: 'auditor', name: 'during-outage' },
        }),
    },
    {
      label: 'audit export (long read)',
      run: () => t.app.inject({ url: '/v1/audit/events?format=ndjson', headers: headers.auditor }),
    },
    { label: 'audit verify', run: () => t.app.inject({ url: '/v1/audit/verify', headers: headers.auditor }) },
    {
      label: 'trade report',
      run: () =>
        t.app.inject({
          url: '/v1/reports/pops-trade?from=2026-01-01&to=2027-01-01',
          headers: headers.auditor,
        }),
    },
    { label: 'readiness probe', run: () => t.app.inject({ url: '/health/ready' }) },
  ]
  return requests
}

async function screenOnce(t: TestApp): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/screenings',
    headers: await t.auth('screener'),
    payload: SCREENING,
  })
  expect(res.statusCode, res.body).toBe(200)
  return res.json().screeningId
}

async function unseenKeys(t: TestApp): Promise<Record<Role, string>> {
  return {
    screener: await t.key('screener', 'unseen-screener'),
    officer: await t.key('officer', 'unseen-officer'),
    auditor: await t.key('auditor', 'unseen-auditor'),
    admin: await t.key('admin', 'unseen-admin'),
  }
}

let t: TestApp | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})

describe.runIf(usingPostgres)('PostgreSQL refusing new connections (ALLOW_CONNECTIONS false)', () => {
  it('answers 503 problem+json with Retry-After on every route class, then recovers', async () => {
    t = await createTestApp()
    const app = t
    const screeningId = await screenOnce(app)
    const secrets = await unseenKeys(app)
    const requests = await everyClassWithAKnownKey(app, screeningId)
    const dbName = new URL(app.databaseUrl!).pathname.slice(1)
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL })
    await admin.connect()
    try {
      await admin.query(`alter database ${dbName} allow_connections false`)
      // The pool's open connections would still serve: end them, so every query needs a new one.
      const { rows } = await admin.query(
        'select pg_terminate_backend(pid) as t from pg_stat_activity where datname = $1',
        [dbName],
      )
      expect(rows.length).toBeGreaterThan(0)
      // A direct connection is refused the way the pool's are.
      const probe = new pg.Client({ connectionString: app.databaseUrl })
      await expect(probe.connect()).rejects.toThrow(/not currently accepting connections/)

      await everyRouteWithAnUnseenKey(app, secrets)
      // A made-up key of the right shape cannot be told from a real one without the database: 503, not 401.
      const madeUp = await app.app.inject({
        url: '/v1/screenings',
        headers: { authorization: `Bearer pops_${'x'.repeat(32)}` },
      })
      expectUnavailable(madeUp, 'made-up key')
      for (const r of requests) expectUnavailable(await r.run(), r.label)
    } finally {
      await admin.query(`alter database ${dbName} allow_connections true`)
      await admin.end()
    }

    // Recovery: the pool makes new connections, nothing was decided during the outage.
    for (const r of requests) {
      const res = await r.run()
      expect(res.statusCode, `${r.label} after the outage: ${res.body}`).toBeLessThan(300)
    }
    const seen = await app.app.inject({
      url: '/v1/screenings',
      headers: { authorization: `Bearer ${secrets.officer}` },
    })
    expect(seen.statusCode).toBe(200)
    // The screening made before the outage and the one of the recovery loop: none from the outage.
    expect(seen.json().items).toHaveLength(2)
  })
})

describe('a closed database', () => {
  it('answers 503 problem+json with Retry-After on every route class, the key lookup included', async () => {
    const app = await createTestApp()
    try {
      const screeningId = await screenOnce(app)
      const secrets = await unseenKeys(app)
      const requests = await everyClassWithAKnownKey(app, screeningId)
      await app.runtime.database.close()
      await everyRouteWithAnUnseenKey(app, secrets)
      for (const r of requests) expectUnavailable(await r.run(), r.label)
    } finally {
      await app.app.close()
      await app.dropDatabase()
    }
  })
})
