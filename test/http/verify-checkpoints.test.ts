/**
 * Online verification (`GET /v1/audit/verify`) holds the chain to the stored signed checkpoints: each
 * checkpoint's signature, an event at its sequence, and that event's hash. The attacks are made as the
 * database owner would (triggers disabled), bypassing the service and its role.
 */
import { sql } from 'drizzle-orm'
import { afterEach, describe, expect, it } from 'vitest'
import { canonicalJson } from '../../src/core/canonical-json.ts'
import { type Checkpoint, signCheckpoint } from '../../src/core/checkpoint.ts'
import { generateSigningKey } from '../../src/services/audit-signer.ts'
import { relink } from '../helpers/relink-chain.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

let t: TestApp | null = null
afterEach(async () => {
  await t?.close()
  t = null
})

/** A fresh service with `n` BLOCK screenings, one batch (and so one checkpoint) each. */
async function withScreenings(n: number): Promise<TestApp> {
  t = await createTestApp()
  for (let i = 0; i < n; i++) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/screenings',
      headers: await t.auth('screener'),
      payload: {
        declaration: { id: `VCP-${i}`, direction: 'import' },
        lines: [{ lineNo: 1, hsCode: '290811' }],
      },
    })
    expect(res.statusCode).toBe(200)
  }
  return t
}

const verify = async (app: TestApp, query = '') =>
  (await app.app.inject({ url: `/v1/audit/verify${query}`, headers: await app.auth('auditor') })).json()

async function storedCheckpoints(app: TestApp): Promise<Checkpoint[]> {
  const res = await app.app.inject({
    url: '/v1/audit/checkpoints?limit=1000',
    headers: await app.auth('auditor'),
  })
  return res.json().items
}

async function events(app: TestApp) {
  const res = await app.app.inject({
    url: '/v1/audit/events?format=ndjson',
    headers: await app.auth('auditor'),
  })
  return res.body
    .trim()
    .split('\n')
    .map(
      (l) =>
        JSON.parse(l) as { sequence: number; at: string; action: string; hash: string; payload: unknown },
    )
}

/** As the owner: triggers off while `change` runs. */
async function asOwner(app: TestApp, change: (db: TestApp['runtime']['database']['db']) => Promise<void>) {
  const db = app.runtime.database.db
  await db.execute(sql`alter table audit_events disable trigger user`)
  await db.execute(sql`alter table audit_checkpoints disable trigger user`)
  try {
    await change(db)
  } finally {
    await db.execute(sql`alter table audit_events enable trigger user`)
    await db.execute(sql`alter table audit_checkpoints enable trigger user`)
  }
}

describe('online verification against the stored checkpoints', () => {
  it('an intact chain verifies, holding every checkpoint; a range holds the checkpoints of its events', async () => {
    const app = await withScreenings(4)
    const checkpoints = await storedCheckpoints(app)
    const all = await events(app)
    expect(checkpoints.length).toBeGreaterThanOrEqual(4)
    expect(await verify(app)).toEqual({
      ok: true,
      checked: all.length,
      firstBrokenSequence: null,
      reason: null,
      checkpointsChecked: checkpoints.length,
    })
    const from = all.at(-2)!.at
    const ranged = await verify(app, `?from=${encodeURIComponent(from)}`)
    expect(ranged).toMatchObject({ ok: true, checked: 2 })
    expect(ranged.checkpointsChecked).toBe(checkpoints.filter((c) => c.at >= from).length)
  })

  it('a checkpointed event rewritten with every later hash recomputed fails at its checkpoint', async () => {
    const app = await withScreenings(4)
    const all = await events(app)
    const target = all.findLast((e) => e.action === 'screening.created' && e.sequence < all.at(-1)!.sequence)!
    const covering = (await storedCheckpoints(app)).find((c) => c.sequence >= target.sequence)!
    // A tampered payload alone breaks the chain itself.
    const allowed = canonicalJson(JSON.parse(JSON.stringify(target.payload).replaceAll('"BLOCK"', '"ALLOW"')))
    await asOwner(app, async (db) => {
      await db.execute(
        sql`update audit_events set payload = ${allowed}::json, decision = 'ALLOW' where sequence = ${target.sequence}`,
      )
    })
    expect(await verify(app)).toMatchObject({
      ok: false,
      firstBrokenSequence: target.sequence,
      reason: 'hash does not match the event content',
    })
    // Every hash from there recomputed: the chain holds, the signed checkpoint does not.
    await asOwner(app, (db) => relink(db, target.sequence))
    const verdict = await verify(app)
    expect(verdict).toMatchObject({ ok: false, firstBrokenSequence: covering.sequence })
    expect(verdict.reason).toMatch(
      new RegExp(
        `hash at sequence ${covering.sequence} differs from the checkpoint signed at .*: the history was rewritten`,
      ),
    )
    // A range that ends before the rewritten event still verifies.
    expect(await verify(app, `?to=${encodeURIComponent(target.at)}`)).toMatchObject({ ok: true })
  })

  it('a chain whose last events were deleted fails, naming where it ends and what the checkpoint covers', async () => {
    const app = await withScreenings(4)
    const last = (await events(app)).at(-1)!.sequence
    await asOwner(app, async (db) => {
      await db.execute(sql`delete from audit_events where sequence > ${last - 2}`)
    })
    // What is left is a consistent chain: only the checkpoints show the cut.
    const verdict = await verify(app)
    expect(verdict).toMatchObject({ ok: false, checked: last - 2, firstBrokenSequence: last - 1 })
    expect(verdict.reason).toMatch(
      new RegExp(
        `^the chain ends at sequence ${last - 2}, but a checkpoint signed at \\S+ covers events up to sequence ${last}: the tail is missing`,
      ),
    )
    // A range whose every event was cut fails too.
    const lastCheckpoint = (await storedCheckpoints(app)).at(-1)!
    expect(await verify(app, `?from=${encodeURIComponent(lastCheckpoint.at)}`)).toMatchObject({
      ok: false,
      checked: 0,
      reason: expect.stringMatching(/^the range has no events, but a checkpoint .* the tail is missing/),
    })
  })

  it('a checkpoint altered or signed by a key the service never used fails', async () => {
    const app = await withScreenings(3)
    const [, second] = await storedCheckpoints(app)
    await asOwner(app, async (db) => {
      await db.execute(
        sql`update audit_checkpoints set at = ${'2020-01-01T00:00:00.000Z'} where sequence = ${second!.sequence}`,
      )
    })
    expect(await verify(app)).toMatchObject({
      ok: false,
      firstBrokenSequence: second!.sequence,
      reason: expect.stringMatching(
        /signature that does not verify under key .*: the checkpoint was forged or altered/,
      ),
    })
    // Re-signed with the owner's own key, which the service never registered.
    const forger = generateSigningKey()
    const forged = signCheckpoint(forger, second!)
    await asOwner(app, async (db) => {
      await db.execute(
        sql`update audit_checkpoints set at = ${forged.at}, key_id = ${forged.keyId}, signature = ${forged.signature} where sequence = ${second!.sequence}`,
      )
    })
    expect(await verify(app)).toMatchObject({
      ok: false,
      firstBrokenSequence: second!.sequence,
      reason: expect.stringMatching(
        /names key ed25519:[0-9a-f]{16}, which is not among the keys this service signed with/,
      ),
    })
  })
})
