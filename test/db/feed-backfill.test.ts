/**
 * The feed migration back-fills events for what happened before the feed existed. Its SQL must give
 * the rows the service itself writes: here the service writes them, the table is emptied, and the
 * migration's back-fill writes them again from the screenings, review cases and audit events.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { queryRows } from '../../src/db/client.ts'
import { SCREENING_REQUEST_EXAMPLES } from '../../src/http/docs/examples/screening-requests.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

const backfill = () => {
  const file = readdirSync('migrations').find((f) => f.endsWith('_feed-and-webhooks.sql'))!
  const text = readFileSync(`migrations/${file}`, 'utf8')
  return text
    .slice(text.indexOf('-- Hand-written back-fill'))
    .split('--> statement-breakpoint')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

it('gives the events the service wrote, under the same ids, from the rows that record them', async () => {
  const post = async (url: string, payload?: unknown, role: 'screener' | 'officer' | 'admin' = 'officer') =>
    t.app.inject({
      method: 'POST',
      url,
      headers: await t.auth(role),
      ...(payload ? { payload: payload as object } : {}),
    })
  const review = (
    await post(
      '/v1/screenings',
      SCREENING_REQUEST_EXAMPLES['review-hcbd-reference-standard-for-lab']!.value,
      'screener',
    )
  ).json()
  const allow = (
    await post('/v1/screenings', SCREENING_REQUEST_EXAMPLES['allow-everyday-import']!.value, 'screener')
  ).json()
  const { reviewId } = (
    await t.app.inject({ url: `/v1/screenings/${review.screeningId}`, headers: await t.auth('officer') })
  ).json()
  await post(`/v1/reviews/${reviewId}/resolve`, {
    outcome: 'BLOCK',
    reasonCode: 'CONFIRMED_PRESENT',
    note: '确认含有',
  })
  await post(`/v1/screenings/${allow.screeningId}/rescreen`)

  const db = t.runtime.database.db
  const all = () => queryRows(db, sql`select * from feed_events order by audit_sequence, ordinal`)
  const written = await all()
  expect(written.map((r) => (r as { type: string }).type)).toEqual(
    expect.arrayContaining([
      'registry.activated',
      'screening.created',
      'review.opened',
      'review.resolved',
      'screening.rescreened',
    ]),
  )
  await db.execute(sql`delete from feed_events`)
  for (const statement of backfill()) await db.execute(sql.raw(statement))
  expect(await all()).toEqual(written)
})
