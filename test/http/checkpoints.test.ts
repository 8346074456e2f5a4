/** Signed checkpoints and receipts (contract §9), and offline verification against them. */
import { spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readCheckpointsFile, readPublicKeysFile, verifyFile } from '../../src/cli/verify-file.ts'
import { canonicalJson } from '../../src/core/canonical-json.ts'
import type { Checkpoint } from '../../src/core/checkpoint.ts'
import { queryRows } from '../../src/db/client.ts'
import { relink } from '../helpers/relink-chain.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

let t: TestApp
let dir: string
beforeAll(async () => {
  t = await createTestApp()
  dir = mkdtempSync(join(tmpdir(), 'popscreen-checkpoints-'))
})
afterAll(async () => {
  await t.close()
  rmSync(dir, { recursive: true, force: true })
})

const screen = async (id: string, headers?: Record<string, string>) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/screenings',
    headers: { ...(await t.auth('screener')), ...headers },
    payload: { declaration: { id, direction: 'import' }, lines: [{ lineNo: 1, hsCode: '290811' }] },
  })

const get = async (url: string, role: 'auditor' | 'screener' = 'auditor') =>
  t.app.inject({ url, headers: await t.auth(role) })

async function allCheckpoints(): Promise<Checkpoint[]> {
  const items: Checkpoint[] = []
  let cursor: string | null = null
  do {
    const page: { items: Checkpoint[]; nextCursor: string | null } = (
      await get(`/v1/audit/checkpoints?limit=1000${cursor ? `&cursor=${cursor}` : ''}`)
    ).json()
    items.push(...page.items)
    cursor = page.nextCursor
  } while (cursor)
  return items
}

/** Writes the export, the checkpoints and the public key as an auditor would download them. */
async function download(name: string, checkpoints?: Checkpoint[]) {
  const files = {
    events: join(dir, `${name}.ndjson`),
    checkpoints: join(dir, `${name}-checkpoints.json`),
    key: join(dir, `${name}.pem`),
  }
  writeFileSync(files.events, (await get('/v1/audit/events?format=ndjson')).body)
  writeFileSync(files.checkpoints, JSON.stringify(checkpoints ?? (await allCheckpoints())))
  writeFileSync(files.key, (await get('/v1/audit/public-key', 'screener')).json().publicKeyPem)
  return files
}

const verifyDownload = (files: Awaited<ReturnType<typeof download>>) =>
  verifyFile(files.events, {
    checkpoints: readCheckpointsFile(files.checkpoints),
    publicKeys: readPublicKeysFile(files.key),
  })

describe('signed checkpoints', () => {
  it('every screening answer carries its batch’s checkpoint, signed over the contract’s message', async () => {
    const key = (await get('/v1/audit/public-key', 'screener')).json()
    expect(key).toMatchObject({
      algorithm: 'Ed25519',
      keyId: expect.stringMatching(/^ed25519:[0-9a-f]{16}$/),
    })
    const publicKey = crypto.createPublicKey(key.publicKeyPem)
    const answers = (await Promise.all(Array.from({ length: 12 }, (_, i) => screen(`CP-${i}`)))).map((r) => {
      expect(r.statusCode).toBe(200)
      return r.json()
    })
    for (const { audit } of answers) {
      const c = audit.checkpoint as Checkpoint
      expect(c.keyId).toBe(key.keyId)
      expect(c.sequence).toBeGreaterThanOrEqual(audit.sequence)
      const message = `popscreen-checkpoint:v1:${c.sequence}:${c.hash}:${c.at}`
      expect(crypto.verify(null, Buffer.from(message), publicKey, Buffer.from(c.signature, 'base64'))).toBe(
        true,
      )
    }
    // One checkpoint per batch: it names the batch's last event, and every answer of the batch shares it.
    const listed = await allCheckpoints()
    const bySequence = new Map(listed.map((c) => [c.sequence, c]))
    const events = (await get('/v1/audit/events?format=ndjson')).body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    const hashOf = new Map(events.map((e) => [e.sequence, e.hash]))
    for (const { audit } of answers) {
      expect(bySequence.get(audit.checkpoint.sequence)).toEqual(audit.checkpoint)
      expect(hashOf.get(audit.checkpoint.sequence)).toBe(audit.checkpoint.hash)
      const between = listed.filter(
        (c) => c.sequence >= audit.sequence && c.sequence < audit.checkpoint.sequence,
      )
      expect(between).toEqual([])
    }
    const batches = new Set(answers.map((a) => a.audit.checkpoint.sequence))
    expect(batches.size).toBeLessThan(answers.length) // concurrent screenings share batches
  })

  it('events written outside the batch writer (a key made) end in a checkpoint too', async () => {
    const made = await t.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: await t.auth('admin'),
      payload: { role: 'officer', name: 'cp-officer' },
    })
    expect(made.statusCode).toBe(201)
    const [last] = (
      await queryRows<{ sequence: string }>(
        t.runtime.database.db,
        sql`select sequence from audit_events order by sequence desc limit 1`,
      )
    ).map((r) => Number(r.sequence))
    expect((await allCheckpoints()).map((c) => c.sequence)).toContain(last)
  })

  it('stored and replayed answers carry the same checkpoint as the first answer', async () => {
    const first = await screen('CP-IDEM', { 'idempotency-key': 'cp-idem-1' })
    const replay = await screen('CP-IDEM', { 'idempotency-key': 'cp-idem-1' })
    expect(first.statusCode, first.body).toBe(200)
    expect(replay.json().screeningId).toBe(first.json().screeningId)
    const stored = await get(`/v1/screenings/${first.json().screeningId}`)
    expect(replay.json().audit).toEqual(first.json().audit)
    expect(stored.json().audit).toEqual(first.json().audit)
  })

  it('lists checkpoints in pages for auditors only; the public key for every role', async () => {
    const page = (await get('/v1/audit/checkpoints?limit=2')).json()
    expect(page.items).toHaveLength(2)
    const next = (await get(`/v1/audit/checkpoints?limit=2&cursor=${page.nextCursor}`)).json()
    expect(next.items[0].sequence).toBeGreaterThan(page.items[1].sequence)
    expect((await get('/v1/audit/checkpoints', 'screener')).statusCode).toBe(403)
    expect((await get('/v1/audit/checkpoints?cursor=x')).statusCode).toBe(422)
    const keys = (await get('/v1/audit/public-keys', 'screener')).json()
    expect(keys.items.map((k: { keyId: string }) => k.keyId)).toEqual([t.runtime.services.signer.key.keyId])
  })

  it('the database refuses UPDATE, DELETE and TRUNCATE of checkpoints and signing keys', async () => {
    const db = t.runtime.database.db
    for (const table of ['audit_checkpoints', 'audit_signing_keys']) {
      await expect(db.execute(sql.raw(`delete from ${table}`))).rejects.toThrow()
      await expect(db.execute(sql.raw(`update ${table} set key_id = 'x'`))).rejects.toThrow()
      await expect(db.execute(sql.raw(`truncate ${table}`))).rejects.toThrow()
    }
    expect((await allCheckpoints()).length).toBeGreaterThan(0)
  })
})

describe('offline verification against checkpoints', () => {
  /** As a database owner would: triggers off, change, and every later hash recomputed so the chain holds. */
  async function rewrite(change: (db: typeof t.runtime.database.db) => Promise<number>) {
    const db = t.runtime.database.db
    await db.execute(sql`alter table audit_events disable trigger user`)
    await db.execute(sql`alter table audit_checkpoints disable trigger user`)
    try {
      const from = await change(db)
      await relink(db, from)
      // The owner also removes the checkpoints that would give the rewrite away.
      await db.execute(sql`delete from audit_checkpoints where sequence >= ${from}`)
    } finally {
      await db.execute(sql`alter table audit_events enable trigger user`)
      await db.execute(sql`alter table audit_checkpoints enable trigger user`)
    }
  }

  it('an untouched export verifies against its checkpoints, and the CLI says so', async () => {
    const files = await download('intact')
    expect(await verifyDownload(files)).toMatchObject({ ok: true, firstBrokenSequence: null })
    const cli = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'audit',
        'verify',
        files.events,
        '--checkpoints',
        files.checkpoints,
        '--public-key',
        files.key,
      ],
      { encoding: 'utf8' },
    )
    expect(cli.status, cli.stderr).toBe(0)
  })

  it('detects a rewritten, internally consistent history and a truncated tail', async () => {
    for (let i = 0; i < 6; i++) expect((await screen(`CP-T-${i}`)).statusCode).toBe(200)
    // What the auditor (or a customs system, by its receipts) holds from before the rewrite.
    const held = await allCheckpoints()
    const events = (await get('/v1/audit/events?format=ndjson')).body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    const last = events.at(-1).sequence as number
    const target = events.findLast((e) => e.action === 'screening.created' && e.sequence < last - 2)

    // 1. A truncated tail: the last two events deleted; the chain that is left is consistent.
    await rewrite(async (db) => {
      await db.execute(sql`delete from screenings where audit_sequence > ${last - 2}`)
      await db.execute(sql`delete from audit_events where sequence > ${last - 2}`)
      return last - 1
    })
    const truncated = await download('truncated', held)
    expect(await verifyFile(truncated.events)).toMatchObject({ ok: true })
    const cut = await verifyDownload(truncated)
    expect(cut).toMatchObject({ ok: false, firstBrokenSequence: last - 1 })
    expect(cut.reason).toMatch(
      new RegExp(`ends at sequence ${last - 2}.*up to sequence ${last}: the tail is missing`),
    )

    // 2. A rewritten decision: BLOCK becomes ALLOW in the stored answer, every later hash recomputed.
    await rewrite(async (db) => {
      const payload = JSON.stringify(target.payload).replaceAll('"BLOCK"', '"ALLOW"')
      await db.execute(
        sql`update audit_events set payload = ${canonicalJson(JSON.parse(payload))}::json, decision = 'ALLOW' where sequence = ${target.sequence}`,
      )
      return target.sequence
    })
    const rewritten = await download('rewritten', held)
    expect(await verifyFile(rewritten.events)).toMatchObject({ ok: true })
    const covering = held
      .filter((c) => c.sequence >= target.sequence)
      .sort((a, b) => a.sequence - b.sequence)[0]!
    const verdict = await verifyDownload(rewritten)
    expect(verdict).toMatchObject({ ok: false, firstBrokenSequence: covering.sequence })
    expect(verdict.reason).toMatch(/differs from the checkpoint .* the history was rewritten/)
    const cli = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'audit',
        'verify',
        rewritten.events,
        '--checkpoints',
        rewritten.checkpoints,
        '--public-key',
        rewritten.key,
      ],
      { encoding: 'utf8' },
    )
    expect(cli.status).toBe(1)
    expect(cli.stderr).toContain(`chain broken at sequence ${covering.sequence}`)
  })

  it('refuses checkpoints whose signature does not verify or whose key is not given', async () => {
    const files = await download('forged')
    const checkpoints = readCheckpointsFile(files.checkpoints)
    const forged = checkpoints.map((c, i) => (i === 1 ? { ...c, hash: `sha256:${'1'.repeat(64)}` } : c))
    expect(
      await verifyFile(files.events, { checkpoints: forged, publicKeys: readPublicKeysFile(files.key) }),
    ).toMatchObject({
      ok: false,
      firstBrokenSequence: checkpoints[1]!.sequence,
      reason: expect.stringMatching(/signature/),
    })
    const other = crypto
      .generateKeyPairSync('ed25519')
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString()
    writeFileSync(files.key, other)
    expect(await verifyDownload(files)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not among the public keys given/),
    })
  })
})
