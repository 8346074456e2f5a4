/**
 * Issue 22 item 6: the service runs as a role that reads and adds rows but cannot change the audit trail;
 * migrations run as the owner (MIGRATION_DATABASE_URL), which grants the service role exactly what it
 * uses. PostgreSQL only: PGlite has one role.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { scratchDatabase } from '../../scripts/server-process.ts'
import { createTestApp, type TestApp, usingPostgres } from '../helpers/test-app.ts'

describe('docker-compose.yml', () => {
  it('parses, runs the migrations as the owner and the service as the restricted role, publishes loopback only', () => {
    const compose = parse(readFileSync('docker-compose.yml', 'utf8'))
    const { postgres, migrate, app } = compose.services
    const user = (url: string) => new URL(url).username
    expect(postgres.volumes).toContain(
      './docker/postgres-init.sql:/docker-entrypoint-initdb.d/10-popscreen-roles.sql:ro',
    )
    expect(user(migrate.environment.MIGRATION_DATABASE_URL)).toBe('popscreen_owner')
    expect(user(app.environment.DATABASE_URL)).toBe('popscreen_app')
    expect(app.environment.MIGRATION_DATABASE_URL).toBeUndefined()
    expect(app.environment.MIGRATE_ON_START).toBe('false')
    expect(app.depends_on.migrate.condition).toBe('service_completed_successfully')
    expect(app.ports).toEqual(['127.0.0.1:3000:3000'])
  })
})

describe.runIf(usingPostgres)('the service on a role with INSERT and SELECT on the audit trail', () => {
  const suffix = randomBytes(4).toString('hex')
  const owner = `popscreen_t_owner_${suffix}`
  const service = `popscreen_t_app_${suffix}`
  const base = process.env.DATABASE_URL!
  let db: Awaited<ReturnType<typeof scratchDatabase>>
  let t: TestApp
  const urlAs = (user: string) => {
    const url = new URL(db.url)
    url.username = user
    return url.toString()
  }
  /** Runs one statement as `user` on the scratch database; resolves to PostgreSQL's error, if any. */
  const asRole = async (user: string, statement: string) => {
    const client = new pg.Client({ connectionString: urlAs(user) })
    await client.connect()
    try {
      await client.query(statement)
      return null
    } catch (err) {
      return err as { code?: string; message: string }
    } finally {
      await client.end()
    }
  }
  const asSuperuser = async (statement: string, url = base) => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      await client.query(statement)
    } finally {
      await client.end()
    }
  }

  beforeAll(async () => {
    // docker/postgres-init.sql, as the postgres image runs it, with this test's names for the roles and
    // the database: an owner with the database, a login role with nothing.
    const name = `popscreen_t_role_${suffix}`
    db = await scratchDatabase(base, name)
    const script = readFileSync('docker/postgres-init.sql', 'utf8')
      .replaceAll('popscreen_owner', owner)
      .replaceAll('popscreen_app', service)
      .replace(/\bpopscreen\b/g, name)
    let url = base
    for (const line of script.split('\n').filter((l) => l.trim() && !l.startsWith('--')))
      if (line.startsWith('\\connect ')) url = db.url
      else await asSuperuser(line, url)
    t = await createTestApp({
      DATABASE_URL: urlAs(service),
      MIGRATION_DATABASE_URL: urlAs(owner),
      // The webhook test's receiver listens on 127.0.0.1.
      WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
    })
  })
  afterAll(async () => {
    await t?.close()
    await db?.drop()
    await asSuperuser(`drop role if exists ${service}`)
    await asSuperuser(`drop role if exists ${owner}`)
  })

  it('screens, reviews, revokes keys, exports and verifies', async () => {
    const screener = await t.auth('screener')
    const screen = async (id: string, hsCode: string) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/screenings',
        headers: screener,
        payload: {
          declaration: { id, direction: 'import' },
          lines: [{ lineNo: 1, hsCode, description: 'chlorinated solvent' }],
        },
      })
    expect((await screen('ROLE-1', '290811')).json().decision).toBe('BLOCK')
    const review = await screen('ROLE-2', '290329')
    expect(review.json().decision).toBe('REVIEW')
    const officer = await t.auth('officer')
    const open = (await t.app.inject({ url: '/v1/reviews?status=open', headers: officer })).json().items[0]
    const resolved = await t.app.inject({
      method: 'POST',
      url: `/v1/reviews/${open.id}/resolve`,
      headers: officer,
      payload: { outcome: 'BLOCK', reasonCode: 'CONFIRMED_PRESENT', note: '检测确认含有' },
    })
    expect(resolved.statusCode, resolved.body).toBe(200)
    // A re-screen points its original at it (UPDATE of superseded_by and updated_at only).
    const again = await t.app.inject({
      method: 'POST',
      url: `/v1/screenings/${review.json().screeningId}/rescreen`,
      headers: officer,
    })
    expect(again.statusCode, again.body).toBe(200)
    const original = await t.app.inject({
      url: `/v1/screenings/${review.json().screeningId}`,
      headers: officer,
    })
    expect(original.json().supersededBy).toBe(again.json().screeningId)
    const admin = await t.auth('admin')
    const made = await t.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: admin,
      payload: { role: 'auditor', name: 'to revoke' },
    })
    const revoked = await t.app.inject({
      method: 'POST',
      url: `/v1/keys/${made.json().id}/revoke`,
      headers: admin,
    })
    expect(revoked.statusCode, revoked.body).toBe(200)

    const auditor = await t.auth('auditor')
    for (const format of ['ndjson', 'csv']) {
      const res = await t.app.inject({ url: `/v1/audit/events?format=${format}`, headers: auditor })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.body).toContain('ROLE-2')
    }
    expect((await t.app.inject({ url: '/v1/audit/verify', headers: auditor })).json()).toMatchObject({
      ok: true,
    })
  })

  it('follows the event feed and delivers, lists and deletes webhooks', async () => {
    const received: string[] = []
    const receiver = http.createServer((req, res) => {
      let body = ''
      req.on('data', (c) => {
        body += c
      })
      req.on('end', () => {
        received.push(body)
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    try {
      t.runtime.services.webhookWorker.start()
      const admin = await t.auth('admin')
      const port = (receiver.address() as AddressInfo).port
      const hook = await t.app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: admin,
        payload: { url: `http://127.0.0.1:${port}/`, events: ['screening.created'], organisation: 'default' },
      })
      expect(hook.statusCode, hook.body).toBe(201)
      const screened = await t.app.inject({
        method: 'POST',
        url: '/v1/screenings',
        headers: await t.auth('screener'),
        payload: {
          declaration: { id: 'ROLE-3', direction: 'import' },
          lines: [{ lineNo: 1, hsCode: '39011000' }],
        },
      })
      const feed = await t.app.inject({ url: '/v1/events', headers: await t.auth('screener') })
      expect(feed.json().items.map((e: { screeningId: string }) => e.screeningId)).toContain(
        screened.json().screeningId,
      )
      for (let i = 0; received.length === 0; i++) {
        expect(i, 'a delivery within 30 s').toBeLessThan(1_200)
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
      expect(JSON.parse(received[0]!).screeningId).toBe(screened.json().screeningId)
      const url = `/v1/webhooks/${hook.json().id}`
      // The worker marks the delivery (UPDATE grants on its columns) once the receiver answered.
      for (let i = 0; ; i++) {
        const listed = await t.app.inject({ url: `${url}/deliveries`, headers: admin })
        expect(listed.statusCode, listed.body).toBe(200)
        if (listed.json().items[0]?.status === 'delivered') break
        expect(i, 'marked delivered within 30 s').toBeLessThan(1_200)
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
      const deleted = await t.app.inject({ method: 'DELETE', url, headers: admin })
      expect(deleted.statusCode, deleted.body).toBe(200)
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()))
    }
  })

  it('PostgreSQL refuses the service role any change to the audit trail, and to the triggers that guard it', async () => {
    const columns = {
      audit_events: 'decision',
      audit_checkpoints: 'hash',
      audit_signing_keys: 'algorithm',
      screenings: 'decision',
      screening_lines: 'decision',
      feed_events: 'decision',
    }
    for (const [table, column] of Object.entries(columns))
      for (const statement of [
        `update ${table} set ${column} = ${column}`,
        `delete from ${table}`,
        `truncate ${table}`,
      ]) {
        const refused = await asRole(service, statement)
        // 42501 from the privilege check, before any trigger runs (the triggers say "append-only").
        expect(refused, `${service}: ${statement}`).toMatchObject({
          code: '42501',
          message: `permission denied for table ${table}`,
        })
      }
    expect(await asRole(service, 'alter table audit_events disable trigger user')).toMatchObject({
      code: '42501',
      message: 'must be owner of table audit_events',
    })
    // Only the columns the service changes: a key's hash or a review's screening stay as written.
    expect(await asRole(service, "update api_keys set key_hash = 'x'")).toMatchObject({ code: '42501' })
    expect(await asRole(service, 'update api_keys set revoked_at = revoked_at')).toBeNull()
    expect(await asRole(service, 'delete from api_keys')).toMatchObject({ code: '42501' })
    // The owner still may (its triggers refuse it, as before).
    expect(await asRole(owner, 'delete from audit_events')).toMatchObject({
      message: expect.stringMatching(/append-only/),
    })
  })
})
