/**
 * Contract §11: every key belongs to an organisation; a screener sees, follows and re-screens its
 * organisation's screenings whichever of its keys made them, Idempotency-Keys are scoped to the
 * organisation, and two organisations never see each other's screenings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RESOLVE_REVIEW_EXAMPLES } from '../../src/http/docs/examples/other-requests.ts'
import { SCREENING_REQUEST_EXAMPLES } from '../../src/http/docs/examples/screening-requests.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

type Headers = Record<string, string>
const bearer = (secret: string): Headers => ({ authorization: `Bearer ${secret}` })

/** A declaration of the given example with its own id, so tests can tell their screenings apart. */
function declaration(example: string, id: string) {
  const value = structuredClone(SCREENING_REQUEST_EXAMPLES[example]!.value)
  value.declaration.id = id
  return value
}
const review = (id: string) => declaration('review-hcbd-reference-standard-for-lab', id)
const allow = (id: string) => declaration('allow-everyday-import', id)

async function screen(headers: Headers, payload: object, idempotencyKey?: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/screenings',
    headers: { ...headers, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
    payload,
  })
  expect(res.statusCode).toBe(200)
  return res
}

const rescreen = (headers: Headers, id: string, idempotencyKey?: string) =>
  t.app.inject({
    method: 'POST',
    url: `/v1/screenings/${id}/rescreen`,
    headers: { ...headers, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
  })

const get = (headers: Headers, id: string) => t.app.inject({ url: `/v1/screenings/${id}`, headers })

interface Item {
  screeningId: string
  declarationId: string
  reviewId: string | null
  disposition: { outcome: string } | null
  supersededBy: string | null
  rescreenOf: string | null
  updatedAt: string
  decidedAt: string
}
async function list(headers: Headers, query = ''): Promise<Item[]> {
  const res = await t.app.inject({ url: `/v1/screenings?limit=500${query}`, headers })
  expect(res.statusCode).toBe(200)
  return res.json().items
}

async function resolve(reviewId: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: `/v1/reviews/${reviewId}/resolve`,
    headers: await t.auth('officer'),
    payload: RESOLVE_REVIEW_EXAMPLES['allow-reference-standard-permit-verified']!.value,
  })
  expect(res.statusCode).toBe(200)
}

describe('keys and their organisations', () => {
  it('POST /v1/keys takes an organisation, `default` when absent, and the listing shows it', async () => {
    const admin = await t.auth('admin')
    const named = await t.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: admin,
      payload: { role: 'screener', name: '报关系统', organisation: '  广西某报关行  ' },
    })
    expect(named.statusCode).toBe(201)
    expect(named.json().organisation).toBe('广西某报关行')
    const plain = await t.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: admin,
      payload: { role: 'screener', name: 'no organisation' },
    })
    expect(plain.json().organisation).toBe('default')
    const listed = (await t.app.inject({ url: '/v1/keys', headers: admin })).json().items as {
      id: string
      organisation: string
    }[]
    expect(listed.find((k) => k.id === named.json().id)?.organisation).toBe('广西某报关行')
    expect(listed.find((k) => k.id === plain.json().id)?.organisation).toBe('default')
  })

  it('refuses an organisation that is empty, longer than 64 characters or holds control characters', async () => {
    const admin = await t.auth('admin')
    for (const organisation of [' ', 'x'.repeat(65), 'a\u0007b']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/keys',
        headers: admin,
        payload: { role: 'screener', name: 'bad', organisation },
      })
      expect(res.statusCode).toBe(422)
      expect(res.json().errors).toEqual([expect.objectContaining({ path: '/organisation' })])
    }
    const longest = await t.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: admin,
      payload: { role: 'screener', name: 'longest', organisation: '机'.repeat(64) },
    })
    expect(longest.statusCode).toBe(201)
  })
})

describe('rotating a key loses nothing', () => {
  it('a new key of the organisation follows the old key’s history and pending review after it is revoked', async () => {
    const admin = await t.auth('admin')
    const oldKey = await t.key('screener', 'rotation-old', 'rotation-org')
    const old = bearer(oldKey)
    const pending = (await screen(old, review('ROT-REVIEW'), 'rot-1')).json()
    const done = (await screen(old, allow('ROT-ALLOW'))).json()

    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: admin,
      payload: { role: 'screener', name: 'rotation-new', organisation: 'rotation-org' },
    })
    const fresh = bearer(created.json().secret)
    const oldId = (await t.app.inject({ url: '/v1/keys', headers: admin }))
      .json()
      .items.find((k: { name: string }) => k.name === 'rotation-old').id
    const revoked = await t.app.inject({ method: 'POST', url: `/v1/keys/${oldId}/revoke`, headers: admin })
    expect(revoked.statusCode).toBe(200)
    expect((await get(old, pending.screeningId)).statusCode).toBe(401)

    const items = await list(fresh)
    expect(items.map((i) => i.screeningId)).toEqual([done.screeningId, pending.screeningId])
    const open = items.find((i) => i.screeningId === pending.screeningId)!
    expect(open.reviewId).toEqual(expect.any(String))
    expect(open.disposition).toBeNull()
    expect((await get(fresh, done.screeningId)).statusCode).toBe(200)

    // The review resolves after the rotation; the new key sees the outcome.
    await resolve(open.reviewId!)
    const followed = await get(fresh, pending.screeningId)
    expect(followed.json()).toMatchObject({ reviewId: open.reviewId, disposition: { outcome: 'ALLOW' } })
    expect((await list(fresh, '&declarationId=ROT-REVIEW'))[0]!.disposition).toMatchObject({
      outcome: 'ALLOW',
    })

    // The old key's Idempotency-Key replays for the new key: keys are the organisation's.
    const replay = await screen(fresh, review('ROT-REVIEW'), 'rot-1')
    expect(replay.headers['idempotency-replayed']).toBe('true')
    expect(replay.json().screeningId).toBe(pending.screeningId)

    // And it may re-screen what the old key screened.
    const again = await rescreen(fresh, done.screeningId)
    expect(again.statusCode).toBe(200)
    expect(again.json().rescreenOf).toBe(done.screeningId)
  })
})

describe('two organisations never see each other', () => {
  it('get, list, re-screen and idempotency replay stay within the organisation', async () => {
    const acme = bearer(await t.key('screener', 'acme-1', 'acme'))
    const acme2 = bearer(await t.key('screener', 'acme-2', 'acme'))
    const globex = bearer(await t.key('screener', 'globex-1', 'globex'))
    const a = (await screen(acme, allow('ISO-ACME'), 'shared-key')).json()
    const g = (await screen(globex, allow('ISO-GLOBEX'), 'shared-key')).json()
    // The same Idempotency-Key in another organisation is another request, not a replay.
    expect(g.screeningId).not.toBe(a.screeningId)

    expect((await get(globex, a.screeningId)).statusCode).toBe(404)
    expect((await get(acme, g.screeningId)).statusCode).toBe(404)
    expect((await get(acme2, a.screeningId)).statusCode).toBe(200)
    const seenByAcme = (await list(acme2)).map((i) => i.declarationId)
    expect(seenByAcme).toContain('ISO-ACME')
    expect(seenByAcme).not.toContain('ISO-GLOBEX')
    expect((await list(globex)).map((i) => i.declarationId)).toEqual(['ISO-GLOBEX'])
    expect((await list(globex, '&declarationId=ISO-ACME')).length).toBe(0)

    const foreign = await rescreen(globex, a.screeningId)
    expect(foreign.statusCode).toBe(404)
    const foreignReplay = await rescreen(globex, a.screeningId, 'shared-key')
    expect(foreignReplay.statusCode).toBe(404)
    expect((await list(await t.auth('officer'), '&declarationId=ISO-ACME')).length).toBe(1)

    // A replay of acme's key by globex's body answers globex's own screening, never acme's.
    const replay = await screen(globex, allow('ISO-GLOBEX'), 'shared-key')
    expect(replay.headers['idempotency-replayed']).toBe('true')
    expect(replay.json().screeningId).toBe(g.screeningId)
    // Officers, auditors and admins see every organisation.
    const all = (await list(await t.auth('auditor'))).map((i) => i.declarationId)
    expect(all).toEqual(expect.arrayContaining(['ISO-ACME', 'ISO-GLOBEX']))
  })
})

describe('re-screens', () => {
  it('a screener re-screens its organisation’s screening; the same Idempotency-Key twice makes one', async () => {
    const own = bearer(await t.key('screener', 'rs-1', 'rescreeners'))
    const colleague = bearer(await t.key('screener', 'rs-2', 'rescreeners'))
    const original = (await screen(own, allow('RS-1'))).json()
    const first = await rescreen(colleague, original.screeningId, 'rs-idem')
    expect(first.statusCode).toBe(200)
    expect(first.headers['idempotency-replayed']).toBeUndefined()
    const second = await rescreen(own, original.screeningId, 'rs-idem')
    expect(second.statusCode).toBe(200)
    expect(second.headers['idempotency-replayed']).toBe('true')
    expect(second.body).toBe(first.body)
    const rescreens = (await list(own, '&declarationId=RS-1')).filter((i) => i.rescreenOf)
    expect(rescreens.map((i) => i.screeningId)).toEqual([first.json().screeningId])

    // The same key for another request is refused, whichever route it comes to.
    const other = (await screen(own, allow('RS-2'))).json()
    const reused = await rescreen(own, other.screeningId, 'rs-idem')
    expect(reused.statusCode).toBe(422)
    expect(reused.json().code).toBe('IDEMPOTENCY_KEY_REUSED')
    const asNew = await t.app.inject({
      method: 'POST',
      url: '/v1/screenings',
      headers: { ...own, 'idempotency-key': 'rs-idem' },
      payload: allow('RS-1'),
    })
    expect(asNew.statusCode).toBe(422)
  })

  it('the original answers supersededBy, the newest re-screen, in get and list', async () => {
    const own = bearer(await t.key('screener', 'sup', 'superseders'))
    const original = (await screen(own, allow('SUP-1'))).json()
    expect((await get(own, original.screeningId)).json().supersededBy).toBeNull()
    const r1 = (await rescreen(own, original.screeningId)).json()
    const r2 = (await rescreen(await t.auth('officer'), original.screeningId)).json()
    expect((await get(own, original.screeningId)).json().supersededBy).toBe(r2.screeningId)
    const items = await list(own, '&declarationId=SUP-1')
    expect(items.find((i) => i.screeningId === original.screeningId)?.supersededBy).toBe(r2.screeningId)
    expect(items.find((i) => i.screeningId === r1.screeningId)?.supersededBy).toBeNull()
  })

  it('an officer’s re-screen belongs to the organisation of the screening, whose screeners see it', async () => {
    const own = bearer(await t.key('screener', 'vis', 'visible-org'))
    const outsider = bearer(await t.key('screener', 'vis-out', 'other-org'))
    const original = (await screen(own, allow('VIS-1'))).json()
    const byOfficer = (await rescreen(await t.auth('officer'), original.screeningId)).json()
    expect((await get(own, byOfficer.screeningId)).json()).toMatchObject({
      rescreenOf: original.screeningId,
    })
    expect((await list(own, '&declarationId=VIS-1')).map((i) => i.screeningId)).toEqual([
      byOfficer.screeningId,
      original.screeningId,
    ])
    expect((await get(outsider, byOfficer.screeningId)).statusCode).toBe(404)
    // The officer's Idempotency-Keys stay the officer's organisation's: the screener's key string is free.
    const officerKeyed = await rescreen(await t.auth('officer'), original.screeningId, 'vis-idem')
    const screenerKeyed = await screen(own, allow('VIS-2'), 'vis-idem')
    expect(screenerKeyed.headers['idempotency-replayed']).toBeUndefined()
    expect(screenerKeyed.json().screeningId).not.toBe(officerKeyed.json().screeningId)
  })

  it('an unchanged decision whose original review is resolved opens no new case; an open one does', async () => {
    const own = bearer(await t.key('screener', 'rev', 'review-org'))
    const settled = (await screen(own, review('REV-SETTLED'))).json()
    const open = (await screen(own, review('REV-OPEN'))).json()
    const settledCase = (await get(own, settled.screeningId)).json().reviewId
    await resolve(settledCase)

    const again = (await rescreen(own, settled.screeningId)).json()
    expect(again.decision).toBe('REVIEW')
    expect((await get(own, again.screeningId)).json()).toMatchObject({ reviewId: null, disposition: null })
    const stillOpen = (await rescreen(own, open.screeningId)).json()
    expect((await get(own, stillOpen.screeningId)).json().reviewId).toEqual(expect.any(String))
    const queue = (await t.app.inject({ url: '/v1/reviews?limit=500', headers: await t.auth('officer') }))
      .json()
      .items.map((c: { screeningId: string }) => c.screeningId)
    expect(queue).not.toContain(again.screeningId)
    expect(queue).toContain(stillOpen.screeningId)
  })
})

describe('following with updatedSince', () => {
  it('a screening is updated when created, when its review is resolved and when it is re-screened', async () => {
    const own = bearer(await t.key('screener', 'upd', 'updaters'))
    const since = (query: string) => list(own, `&updatedSince=${encodeURIComponent(query)}`)
    const start = new Date().toISOString()
    const pending = (await screen(own, review('UPD-1'))).json()
    const quiet = (await screen(own, allow('UPD-2'))).json()
    expect((await since(start)).map((i) => i.screeningId)).toEqual([quiet.screeningId, pending.screeningId])
    const item = (await since(start)).find((i) => i.screeningId === pending.screeningId)!
    expect(item.updatedAt).toBe(item.decidedAt)

    const afterCreation = new Date(Date.parse((await since(start))[0]!.updatedAt) + 1).toISOString()
    expect(await since(afterCreation)).toEqual([])
    await resolve(item.reviewId!)
    const resolved = await since(afterCreation)
    expect(resolved.map((i) => i.screeningId)).toEqual([pending.screeningId])
    expect(resolved[0]!.disposition).toMatchObject({ outcome: 'ALLOW' })
    expect(Date.parse(resolved[0]!.updatedAt)).toBeGreaterThan(Date.parse(resolved[0]!.decidedAt))

    const afterResolution = new Date(Date.parse(resolved[0]!.updatedAt) + 1).toISOString()
    const re = (await rescreen(own, quiet.screeningId)).json()
    const changed = await since(afterResolution)
    expect(changed.map((i) => i.screeningId).sort()).toEqual([quiet.screeningId, re.screeningId].sort())
    expect(changed.find((i) => i.screeningId === quiet.screeningId)?.supersededBy).toBe(re.screeningId)
  })
})
