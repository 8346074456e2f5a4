import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyFile } from '../../src/cli/verify-file.ts'
import { canonicalJson } from '../../src/core/canonical-json.ts'
import { queryRows } from '../../src/db/client.ts'
import { cliActor } from '../../src/services/actor.ts'
import { appendEvents } from '../../src/services/audit-log.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

const screen = async (id: string, hsCode = '290811') =>
  t.app.inject({
    method: 'POST',
    url: '/v1/screenings',
    headers: await t.auth('screener'),
    payload: {
      declaration: { id, direction: 'import' },
      lines: [{ lineNo: 1, hsCode, description: '五氯苯酚 =HYPERLINK("x")' }],
    },
  })

const exportNdjson = async (query = '') =>
  (await t.app.inject({ url: `/v1/audit/events?format=ndjson${query}`, headers: await t.auth('auditor') }))
    .body

describe('audit trail', () => {
  it('records every screening once, in a gap-free chain that verifies', async () => {
    const ids: string[] = []
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => screen(`AUD-${i}`)))
    for (const r of results) {
      expect(r.statusCode).toBe(200)
      ids.push(r.json().screeningId)
    }
    const lines = (await exportNdjson()).trim().split('\n')
    const events = lines.map((l) => JSON.parse(l))
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1))
    // Every payload (screenings' and the others') is stored and exported as the very text that was hashed.
    for (const [i, e] of events.entries())
      expect(lines[i]).toContain(`"payload":${canonicalJson(e.payload)},`)
    for (const [i, id] of ids.entries()) {
      const matching = events.filter((e) => e.action === 'screening.created' && e.subject.screeningId === id)
      expect(matching).toHaveLength(1)
      expect(matching[0].hash).toBe(results[i]!.json().audit.hash)
      expect(matching[0].payload.response.decision).toBe('BLOCK')
      expect(matching[0].payload.request.declaration.id).toBe(`AUD-${i}`)
    }
    const verdict = (await t.app.inject({ url: '/v1/audit/verify', headers: await t.auth('auditor') })).json()
    // Every stored checkpoint was held against the chain (one per batch: fewer than the events).
    const checkpoints = (
      await t.app.inject({ url: '/v1/audit/checkpoints?limit=1000', headers: await t.auth('auditor') })
    ).json().items
    expect(checkpoints.length).toBeGreaterThan(0)
    expect(verdict).toEqual({
      ok: true,
      checked: events.length,
      firstBrokenSequence: null,
      reason: null,
      checkpointsChecked: checkpoints.length,
    })
  })

  it('records registry seeding and key creation', async () => {
    const actions = (await exportNdjson())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).action)
    expect(actions).toEqual(
      expect.arrayContaining(['registry.imported', 'registry.activated', 'key.created', 'screening.created']),
    )
  })

  it('filters the export by action and decision', async () => {
    const lines = (await exportNdjson('&action=screening.created&decision=BLOCK')).trim().split('\n')
    expect(lines.length).toBeGreaterThan(0)
    for (const l of lines)
      expect(JSON.parse(l)).toMatchObject({ action: 'screening.created', decision: 'BLOCK' })
  })

  it('exports CSV with a BOM, Chinese text intact and formulas escaped', async () => {
    const res = await t.app.inject({
      url: '/v1/audit/events?format=csv&action=screening.created',
      headers: await t.auth('auditor'),
    })
    expect(res.headers['content-type']).toMatch(/^text\/csv/)
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="popscreen-audit-.*\.csv"$/)
    expect(res.headers['x-request-id']).toEqual(expect.any(String))
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]))
    const text = res.body
    expect(text.split('\r\n')[0] ?? text.split('\n')[0]).toContain('sequence,at,action')
    expect(text).toContain('五氯苯酚')
    expect(text).not.toMatch(/(^|,)"?=HYPERLINK/m)
  })

  it('verifies an exported file offline and finds a one-byte edit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'popscreen-audit-'))
    try {
      const file = join(dir, 'audit.ndjson')
      const body = await exportNdjson()
      writeFileSync(file, body)
      expect(await verifyFile(file)).toMatchObject({ ok: true, firstBrokenSequence: null })
      const lines = body.trim().split('\n')
      const target = lines.findIndex((l) => l.includes('"AUD-3"'))
      const sequence = JSON.parse(lines[target]!).sequence
      lines[target] = lines[target]!.replace('"AUD-3"', '"AUD-8"')
      writeFileSync(file, `${lines.join('\n')}\n`)
      expect(await verifyFile(file)).toMatchObject({ ok: false, firstBrokenSequence: sequence })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('the database refuses UPDATE, DELETE and TRUNCATE on audit_events', async () => {
    const db = t.runtime.database.db
    const refused = async (statement: ReturnType<typeof sql>) => {
      const err = await db.execute(statement).then(
        () => null,
        (e: unknown) => e,
      )
      const messages: string[] = []
      for (let e = err as { message?: string; cause?: unknown } | null; e; e = e.cause as typeof e)
        messages.push(String(e.message))
      return messages.join(' | ')
    }
    expect(await refused(sql`update audit_events set action = 'x' where sequence = 1`)).toMatch(
      /append-only: UPDATE refused/,
    )
    expect(await refused(sql`delete from audit_events where sequence = 1`)).toMatch(
      /append-only: DELETE refused/,
    )
    expect(await refused(sql`truncate audit_events`)).toMatch(/append-only: TRUNCATE refused/)
    expect(await queryRows(db, sql`select 1 from audit_events where sequence = 1`)).toHaveLength(1)
  })

  it('detects a row edited by a superuser with the trigger disabled', async () => {
    const db = t.runtime.database.db
    const [row] = await queryRows<{ sequence: string }>(
      db,
      sql`select sequence from audit_events where action = 'screening.created' order by sequence limit 1`,
    )
    const sequence = Number(row!.sequence)
    await db.execute(sql`alter table audit_events disable trigger audit_events_no_update_delete`)
    await db.execute(sql`update audit_events set decision = 'ALLOW' where sequence = ${sequence}`)
    await db.execute(sql`alter table audit_events enable trigger audit_events_no_update_delete`)
    const verdict = (await t.app.inject({ url: '/v1/audit/verify', headers: await t.auth('auditor') })).json()
    expect(verdict).toMatchObject({ ok: false, firstBrokenSequence: sequence })
  })
})

describe('group commit', () => {
  it('links after events other writers appended in between: a retry, never a gap or a failure', async () => {
    // Its own app: the tampering test above leaves the shared chain broken on purpose.
    const g = await createTestApp()
    const headers = await g.auth('screener')
    const screenOne = (id: string) =>
      g.app.inject({
        method: 'POST',
        url: '/v1/screenings',
        headers,
        payload: { declaration: { id, direction: 'import' }, lines: [{ lineNo: 1, hsCode: '290811' }] },
      })
    const other = (n: number) =>
      g.runtime.services.database.db.transaction((tx) =>
        appendEvents(
          tx,
          [{ action: 'key.revoked', actor: cliActor(), subject: { keyId: `other-${n}` }, payload: { n } }],
          g.runtime.services.signer,
        ),
      )
    try {
      const before = await screenOne('GC-0')
      const [between] = await other(0)
      const after = await screenOne('GC-1')
      expect([before.statusCode, after.statusCode]).toEqual([200, 200])
      expect(between!.sequence).toBe(before.json().audit.sequence + 1)
      expect(after.json().audit.sequence).toBe(between!.sequence + 1)

      const results = await Promise.all([
        ...Array.from({ length: 30 }, (_, i) => screenOne(`GC-${i + 2}`)),
        ...Array.from({ length: 5 }, (_, i) => other(i + 1)),
      ])
      const screened = results.slice(0, 30) as Awaited<ReturnType<typeof screenOne>>[]
      expect(screened.map((r) => r.statusCode)).toEqual(Array(30).fill(200))
      const verify = await g.app.inject({ url: '/v1/audit/verify', headers: await g.auth('auditor') })
      expect(verify.json()).toMatchObject({ ok: true, firstBrokenSequence: null })
    } finally {
      await g.close()
    }
  })
})

describe('durability', () => {
  it('answers 503 and no decision when the audit event cannot be stored', async () => {
    const broken = await createTestApp()
    const headers = await broken.auth('screener')
    const payload = {
      declaration: { id: 'F-1', direction: 'import' },
      lines: [{ lineNo: 1, hsCode: '290811' }],
    }
    expect(
      (await broken.app.inject({ method: 'POST', url: '/v1/screenings', headers, payload })).statusCode,
    ).toBe(200)
    await broken.runtime.database.close()
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) {
      const res = await broken.app.inject({ method: 'POST', url: '/v1/screenings', headers, payload })
      statuses.push(res.statusCode)
      expect(res.json()).not.toHaveProperty('decision')
      expect(res.headers['content-type']).toMatch(/problem\+json/)
    }
    expect(statuses).toEqual([503, 503, 503, 503, 503])
    const ready = await broken.app.inject({ url: '/health/ready' })
    expect(ready.statusCode).toBe(503)
    await broken.app.close()
    await broken.dropDatabase()
  })
})
