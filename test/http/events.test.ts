import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows } from '../../src/db/client.ts'
import { SCREENING_REQUEST_EXAMPLES } from '../../src/http/docs/examples/screening-requests.ts'
import type { FeedEvent } from '../../src/services/event-feed.ts'
import { createTestApp, type TestApp, usingPostgres } from '../helpers/test-app.ts'

type Role = 'screener' | 'officer' | 'auditor' | 'admin'
type FeedItem = FeedEvent

const ALLOW = SCREENING_REQUEST_EXAMPLES['allow-everyday-import']!.value
const REVIEW = SCREENING_REQUEST_EXAMPLES['review-hcbd-reference-standard-for-lab']!.value
const RESOLUTION = { outcome: 'ALLOW', reasonCode: 'PERMIT_VERIFIED', note: '许可证已核实 permit checked' }

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

const get = async (app: TestApp, url: string, role: Role = 'officer') =>
  app.app.inject({ url, headers: await app.auth(role) })
const post = async (app: TestApp, url: string, payload?: unknown, role: Role = 'officer') =>
  app.app.inject({
    method: 'POST',
    url,
    headers: await app.auth(role),
    ...(payload === undefined ? {} : { payload: payload as object }),
  })

async function page(app: TestApp, after: string | null, limit = 50, role: Role = 'officer') {
  const res = await get(app, `/v1/events?limit=${limit}${after === null ? '' : `&after=${after}`}`, role)
  expect(res.statusCode).toBe(200)
  return res.json() as { items: FeedItem[]; nextCursor: string }
}

/** Reads the feed from `after` until a page comes back empty; returns the events and where it ended. */
async function drain(app: TestApp, after: string | null, limit = 50) {
  const items: FeedItem[] = []
  let cursor = after
  for (;;) {
    const p = await page(app, cursor, limit)
    expect(p.nextCursor).toEqual(expect.any(String))
    items.push(...p.items)
    if (p.items.length === 0) return { items, cursor: p.nextCursor }
    cursor = p.nextCursor
  }
}

describe('GET /v1/events', () => {
  it('follows a declaration from submission to the officer’s outcome, in commit order', async () => {
    const start = await drain(t, null)
    // The first start activated the bundled registry: every organisation sees that.
    expect(start.items.map((e) => e.type)).toContain('registry.activated')
    const allowed = (await post(t, '/v1/screenings', ALLOW, 'screener')).json()
    const reviewed = (await post(t, '/v1/screenings', REVIEW, 'screener')).json()
    const review = (await get(t, `/v1/screenings/${reviewed.screeningId}`)).json()
    expect((await post(t, `/v1/reviews/${review.reviewId}/resolve`, RESOLUTION)).statusCode).toBe(200)
    const rescreened = (await post(t, `/v1/screenings/${allowed.screeningId}/rescreen`)).json()

    const { items, cursor } = await drain(t, start.cursor, 2)
    expect(items.map((e) => [e.type, e.screeningId])).toEqual([
      ['screening.created', allowed.screeningId],
      ['screening.created', reviewed.screeningId],
      ['review.opened', reviewed.screeningId],
      ['review.resolved', reviewed.screeningId],
      ['screening.rescreened', rescreened.screeningId],
    ])
    const [created, , opened, resolved, again] = items
    expect(created).toMatchObject({
      declarationId: ALLOW.declaration.id,
      decision: 'ALLOW',
      at: allowed.decidedAt,
      auditSequence: allowed.audit.sequence,
      reviewId: null,
    })
    expect(opened).toMatchObject({ reviewId: review.reviewId, decision: 'REVIEW', at: reviewed.decidedAt })
    expect(resolved).toMatchObject({ reviewId: review.reviewId, decision: 'ALLOW' })
    expect(again).toMatchObject({ rescreenOf: allowed.screeningId, decision: rescreened.decision })
    // Ids are unique and the feed's order is theirs.
    expect(new Set(items.map((e) => e.id)).size).toBe(items.length)
    expect(cursor).toBe(items[items.length - 1]!.id)
  })

  it('answers nextCursor even when nothing is new, and the same cursor later finds what came since', async () => {
    const { cursor } = await drain(t, null)
    const empty = await page(t, cursor)
    expect(empty).toEqual({ items: [], nextCursor: cursor })
    const s = (await post(t, '/v1/screenings', ALLOW, 'screener')).json()
    const next = await page(t, cursor)
    expect(next.items.map((e) => e.screeningId)).toEqual([s.screeningId])
    // An empty feed position: the start.
    expect((await page(t, '0-0', 1)).items).toHaveLength(1)
  })

  it('reports a registry activation to every role', async () => {
    const { cursor } = await drain(t, null)
    const versions = (await get(t, '/v1/registry/versions', 'admin')).json()
    const inactive = versions.items.find((v: { active: boolean }) => !v.active)
    const active = versions.items.find((v: { active: boolean }) => v.active)
    expect(inactive).toBeDefined()
    await post(t, `/v1/registry/versions/${inactive.version}/activate`, undefined, 'admin')
    await post(t, `/v1/registry/versions/${active.version}/activate`, undefined, 'admin')
    const p = await page(t, cursor, 50, 'screener')
    expect(p.items.map((e) => [e.type, e.registryVersion, e.screeningId])).toEqual([
      ['registry.activated', inactive.version, null],
      ['registry.activated', active.version, null],
    ])
  })

  it.each(['latest', '12', '1-2-3', '-1-0', '01-0', 'x'.repeat(30)])(
    'refuses after=%s with 422 naming /after',
    async (after) => {
      const res = await get(t, `/v1/events?after=${encodeURIComponent(after)}`, 'screener')
      expect(res.statusCode).toBe(422)
      expect(res.json().errors).toEqual([expect.objectContaining({ path: '/after', in: 'querystring' })])
    },
  )

  it('needs a key', async () => {
    expect((await t.app.inject({ url: '/v1/events' })).statusCode).toBe(401)
  })
})

describe('organisations', () => {
  it('show a screener its organisation’s events (whichever key made them) and registry activations only', async () => {
    const { cursor } = await drain(t, null)
    const bearer = async (name: string, organisation: string) => ({
      authorization: `Bearer ${await t.key('screener', name, organisation)}`,
    })
    const a = await bearer('feed-a', 'feed-org-a')
    const rotated = await bearer('feed-a-rotated', 'feed-org-a')
    const b = await bearer('feed-b', 'feed-org-b')
    const screen = async (headers: Record<string, string>) =>
      (await t.app.inject({ method: 'POST', url: '/v1/screenings', headers, payload: ALLOW })).json()
        .screeningId as string
    const ofA = await screen(a)
    const ofB = await screen(b)
    const read = async (headers: Record<string, string>) =>
      (await t.app.inject({ url: `/v1/events?after=${cursor}`, headers })).json() as {
        items: FeedItem[]
        nextCursor: string
      }
    expect((await read(rotated)).items.map((e) => e.screeningId)).toEqual([ofA])
    expect((await read(b)).items.map((e) => e.screeningId)).toEqual([ofB])
    expect((await read(await t.auth('auditor'))).items.map((e) => e.screeningId)).toEqual([ofA, ofB])
    // A page that skipped another organisation's events continues after its own last one.
    expect((await read(a)).nextCursor).toBe((await read(a)).items[0]!.id)
  })
})

describe('walking the feed while screenings and resolutions commit concurrently', () => {
  it('misses nothing and repeats nothing', async () => {
    // On PostgreSQL a second instance on the same database screens too: two group committers race for the
    // chain, and resolutions append through their own transactions, so commits interleave for real.
    const other = usingPostgres ? await createTestApp({ DATABASE_URL: t.databaseUrl! }) : t
    try {
      const { cursor: start } = await drain(t, null)
      const seen: FeedItem[] = []
      let writing = true
      let cursor = start
      const reader = (async () => {
        while (writing) {
          const p = await page(t, cursor, 7)
          seen.push(...p.items)
          cursor = p.nextCursor
          // A poller pauses between pages; on PGlite a loop of in-process reads would also starve the
          // timers the group commit flushes on.
          await new Promise((resolve) => setTimeout(resolve, 2))
        }
      })()
      const apps = [t, other]
      const writers = Array.from({ length: 6 }, async (_, w) => {
        const app = apps[w % apps.length]!
        for (let i = 0; i < 8; i++) {
          const res = await post(app, '/v1/screenings', i % 2 === 0 ? REVIEW : ALLOW, 'screener')
          expect(res.statusCode).toBe(200)
          const { screeningId } = res.json()
          const { reviewId } = (await get(app, `/v1/screenings/${screeningId}`)).json()
          if (reviewId)
            expect((await post(app, `/v1/reviews/${reviewId}/resolve`, RESOLUTION)).statusCode).toBe(200)
        }
      })
      try {
        await Promise.all(writers)
      } finally {
        writing = false
        await reader
      }
      const rest = await drain(t, cursor, 7)
      seen.push(...rest.items)

      const ids = seen.map((e) => e.id)
      expect(new Set(ids).size).toBe(ids.length)
      // Every event committed since the start, as the database holds them, in the same order.
      const [s, o] = start.split('-').map(Number)
      const stored = await queryRows<{ id: string }>(
        t.runtime.database.db,
        sql`select audit_sequence || '-' || ordinal as id from feed_events
          where (audit_sequence, ordinal) > (${s}, ${o}) order by audit_sequence, ordinal`,
      )
      expect(ids).toEqual(stored.map((r) => r.id))
      // 48 screenings, 24 reviews opened and 24 resolved.
      expect(seen.filter((e) => e.type === 'screening.created')).toHaveLength(48)
      expect(seen.filter((e) => e.type === 'review.opened')).toHaveLength(24)
      expect(seen.filter((e) => e.type === 'review.resolved')).toHaveLength(24)
    } finally {
      if (other !== t) await other.close()
    }
  })
})
