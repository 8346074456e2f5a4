/**
 * Migration 0007 (organisations) on a database written before it: the data is made by the application,
 * the columns 0007 adds are taken away again (as a database of 0006 had none), and a restart applies
 * 0007 to it. Each key made before it gets an organisation of its own, so nothing becomes visible to a
 * key that could not see it; re-screens belong to their original's organisation and the originals learn
 * `supersededBy`. PGlite (a DATA_DIR on disk) or PostgreSQL (a scratch database) as the environment says.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { scratchDatabase } from '../../scripts/server-process.ts'
import { queryRows } from '../../src/db/client.ts'
import { RESOLVE_REVIEW_EXAMPLES } from '../../src/http/docs/examples/other-requests.ts'
import { SCREENING_REQUEST_EXAMPLES } from '../../src/http/docs/examples/screening-requests.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

const cleanups: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

async function store(): Promise<Record<string, string>> {
  const base = process.env.DATABASE_URL
  if (base) {
    const db = await scratchDatabase(base, `popscreen_m7_${Date.now().toString(36)}`)
    cleanups.push(db.drop)
    return { DATABASE_URL: db.url }
  }
  const dir = mkdtempSync(join(tmpdir(), 'popscreen-m7-'))
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }))
  return { DATA_DIR: join(dir, 'data') }
}

function declaration(example: string, id: string) {
  const value = structuredClone(SCREENING_REQUEST_EXAMPLES[example]!.value)
  value.declaration.id = id
  return value
}

function journalWhen(tag: string): number {
  const journal = JSON.parse(readFileSync('migrations/meta/_journal.json', 'utf8')) as {
    entries: { tag: string; when: number }[]
  }
  return journal.entries.find((e) => e.tag === tag)!.when
}

/** What 0007 adds, taken away: the schema of 0006, with the data the application wrote. */
const BEFORE_0007 = [
  'drop index screenings_organisation_idx',
  'drop index screenings_updated_idx',
  'drop index screenings_idempotency_idx',
  'alter table screenings drop column organisation, drop column actor_organisation, drop column superseded_by, drop column updated_at',
  'alter table api_keys drop column organisation',
  'create unique index screenings_idempotency_idx on screenings using btree (actor_key_id, idempotency_key)',
  // Unrecorded from 0007 on (a later migration applies again: they are written to be re-runnable).
  `delete from drizzle.__drizzle_migrations where created_at >= ${journalWhen('0007_organisations')}`,
]

describe('migration 0007', () => {
  it('gives each existing key its own organisation and back-fills the screenings', async () => {
    const env = await store()
    let t: TestApp = await createTestApp(env)
    const call = async (
      secret: string,
      method: 'GET' | 'POST',
      url: string,
      payload?: object,
      idem?: string,
    ) =>
      t.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${secret}`, ...(idem ? { 'idempotency-key': idem } : {}) },
        ...(payload ? { payload } : {}),
      })
    // Before 0007 every key was on its own; here each is made in an organisation of its own to match.
    const a = await t.key('screener', 'legacy-a', 'alone-a')
    const b = await t.key('screener', 'legacy-b', 'alone-b')
    const officer = await t.key('officer', 'legacy-officer', 'alone-officer')
    const admin = await t.key('admin', 'legacy-admin', 'alone-admin')
    const reviewed = (
      await call(a, 'POST', '/v1/screenings', declaration('review-hcbd-reference-standard-for-lab', 'M-A1'))
    ).json()
    const plain = (
      await call(a, 'POST', '/v1/screenings', declaration('allow-everyday-import', 'M-A2'), 'legacy-idem')
    ).json()
    const theirs = (
      await call(b, 'POST', '/v1/screenings', declaration('allow-everyday-import', 'M-B1'), 'legacy-idem')
    ).json()
    const rescreen = (await call(officer, 'POST', `/v1/screenings/${plain.screeningId}/rescreen`)).json()
    const reviewId = (await call(officer, 'GET', `/v1/screenings/${reviewed.screeningId}`)).json().reviewId
    const resolved = await call(
      officer,
      'POST',
      `/v1/reviews/${reviewId}/resolve`,
      RESOLVE_REVIEW_EXAMPLES['allow-reference-standard-permit-verified']!.value,
    )
    expect(resolved.statusCode).toBe(200)
    const ids = Object.fromEntries((await t.runtime.services.keys.list()).map((k) => [k.name, k.id]))
    for (const statement of BEFORE_0007) await t.runtime.services.database.db.execute(sql.raw(statement))
    await t.close()

    t = await createTestApp(env) // migrates: 0007 runs on the data above
    cleanups.push(() => t.close())
    const { db } = t.runtime.services.database
    const keys = await queryRows<{ id: string; organisation: string }>(
      db,
      sql`select id, organisation from api_keys`,
    )
    for (const key of keys) expect(key.organisation).toBe(`key-${key.id}`)
    const rows = await queryRows<{
      id: string
      organisation: string
      actor_organisation: string
      superseded_by: string | null
      updated_at: string
      created_at: string
    }>(
      db,
      sql`select id, organisation, actor_organisation, superseded_by, updated_at::text, created_at::text
        from screenings`,
    )
    const row = (id: string) => rows.find((r) => r.id === id)!
    expect(row(reviewed.screeningId)).toMatchObject({
      organisation: `key-${ids['legacy-a']}`,
      actor_organisation: `key-${ids['legacy-a']}`,
      superseded_by: null,
    })
    expect(Date.parse(row(reviewed.screeningId).updated_at)).toBeGreaterThan(
      Date.parse(row(reviewed.screeningId).created_at),
    )
    expect(row(plain.screeningId).superseded_by).toBe(rescreen.screeningId)
    expect(row(plain.screeningId).updated_at).toBe(row(rescreen.screeningId).created_at)
    // The officer's re-screen belongs to the organisation of the screening it re-screened.
    expect(row(rescreen.screeningId)).toMatchObject({
      organisation: `key-${ids['legacy-a']}`,
      actor_organisation: `key-${ids['legacy-officer']}`,
    })
    expect(row(theirs.screeningId).organisation).toBe(`key-${ids['legacy-b']}`)

    // Each old key sees what it saw, and its re-screen; never the other's.
    const seen = async (secret: string) =>
      ((await call(secret, 'GET', '/v1/screenings')).json().items as { screeningId: string }[]).map(
        (i) => i.screeningId,
      )
    expect((await seen(a)).sort()).toEqual(
      [reviewed.screeningId, plain.screeningId, rescreen.screeningId].sort(),
    )
    expect(await seen(b)).toEqual([theirs.screeningId])
    expect((await call(b, 'GET', `/v1/screenings/${plain.screeningId}`)).statusCode).toBe(404)
    // Idempotency-Keys stored before stay the old key's.
    const replay = await call(
      a,
      'POST',
      '/v1/screenings',
      declaration('allow-everyday-import', 'M-A2'),
      'legacy-idem',
    )
    expect(replay.headers['idempotency-replayed']).toBe('true')
    expect(replay.json().screeningId).toBe(plain.screeningId)
    const notB = await call(
      b,
      'POST',
      '/v1/screenings',
      declaration('allow-everyday-import', 'M-A2'),
      'legacy-idem',
    )
    expect(notB.statusCode).toBe(422) // b used the key for M-B1: a different request
    // An old key is rotated by a new key in its organisation.
    const created = await call(admin, 'POST', '/v1/keys', {
      role: 'screener',
      name: 'legacy-a-rotated',
      organisation: `key-${ids['legacy-a']}`,
    })
    expect(created.statusCode).toBe(201)
    expect((await seen(created.json().secret)).sort()).toEqual((await seen(a)).sort())
  })
})
