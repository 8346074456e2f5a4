/**
 * Issue 22 item 6: verification must not say ok on a log whose first events were deleted or cut, nor on a
 * payload with a key twice (the first copy of "response" saying ALLOW, the last, which JSON.parse keeps,
 * saying BLOCK).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readPublicKeysFile, verifyFile } from '../../src/cli/verify-file.ts'
import { canonicalJson } from '../../src/core/canonical-json.ts'
import type { Checkpoint } from '../../src/core/checkpoint.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

let t: TestApp
let dir: string
beforeAll(async () => {
  t = await createTestApp()
  dir = mkdtempSync(join(tmpdir(), 'popscreen-tamper-'))
  for (let i = 0; i < 4; i++) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/screenings',
      headers: await t.auth('screener'),
      payload: {
        declaration: { id: `TAMPER-${i}`, direction: 'import' },
        lines: [{ lineNo: 1, hsCode: '290811' }],
      },
    })
    expect(res.json().decision).toBe('BLOCK')
  }
})
afterAll(async () => {
  await t.close()
  rmSync(dir, { recursive: true, force: true })
})

const get = async (url: string) => t.app.inject({ url, headers: await t.auth('auditor') })
const exportLines = async () => (await get('/v1/audit/events?format=ndjson')).body.trim().split('\n')
const write = (name: string, lines: string[]) => {
  const file = join(dir, name)
  writeFileSync(file, `${lines.join('\n')}\n`)
  return file
}
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'audit', 'verify', ...args], {
    encoding: 'utf8',
  })

/** The line of a BLOCK screening with a first "response" member saying ALLOW before the real one. */
function withAllowFirst(line: string): string {
  const { payload } = JSON.parse(line)
  const allow = { ...payload.response, decision: 'ALLOW' }
  const doubled = `{"request":${canonicalJson(payload.request)},"response":${canonicalJson(allow)},"response":${canonicalJson(payload.response)}}`
  const stored = `"payload":${canonicalJson(payload)},`
  expect(line).toContain(stored)
  return line.replace(stored, `"payload":${doubled},`)
}

describe('offline verification of an exported file', () => {
  it('a file with its first lines cut fails, with a message saying so', async () => {
    const lines = await exportLines()
    expect(await verifyFile(write('whole.ndjson', lines))).toMatchObject({ ok: true })
    const cut = write('cut.ndjson', lines.slice(2))
    const verdict = await verifyFile(cut)
    expect(verdict).toMatchObject({ ok: false, firstBrokenSequence: 3 })
    expect(verdict.reason).toMatch(
      /starts at sequence 3, not at sequence 1 from the genesis hash: its first lines may have been cut/,
    )
    const run = cli(cut)
    expect(run.status).toBe(1)
    expect(run.stderr).toContain('chain broken at sequence 3: the file starts at sequence 3')
  })

  it('a partial file verifies from the signed checkpoint of the event before it, and only so', async () => {
    const lines = await exportLines()
    const checkpoints: Checkpoint[] = (await get('/v1/audit/checkpoints?limit=1000')).json().items
    const keyFile = join(dir, 'key.pem')
    writeFileSync(keyFile, (await get('/v1/audit/public-key')).json().publicKeyPem)
    const publicKeys = readPublicKeysFile(keyFile)
    // Every event is its own batch here (one screening at a time), so each has a checkpoint.
    const start = checkpoints.find((c) => c.sequence >= 3)!.sequence + 1
    const partial = write('partial.ndjson', lines.slice(start - 1))
    expect(await verifyFile(partial, { checkpoints, publicKeys })).toMatchObject({ ok: true })
    // Without the checkpoint of the event before its start, the file's first prevHash is its own word.
    const without = checkpoints.filter((c) => c.sequence !== start - 1)
    const verdict = await verifyFile(partial, { checkpoints: without, publicKeys })
    expect(verdict).toMatchObject({ ok: false, firstBrokenSequence: start })
    expect(verdict.reason).toMatch(/no checkpoint given is for sequence/)
  })

  it('a line whose payload holds "response" twice, the first saying ALLOW, fails', async () => {
    const lines = await exportLines()
    const target = lines.findIndex((l) => l.includes('"TAMPER-1"') && l.includes('"screening.created"'))
    const sequence = JSON.parse(lines[target]!).sequence
    const doubled = withAllowFirst(lines[target]!)
    expect(JSON.parse(doubled).payload).toEqual(JSON.parse(lines[target]!).payload) // JSON.parse sees no change
    lines[target] = doubled
    const verdict = await verifyFile(write('doubled.ndjson', lines))
    expect(verdict).toMatchObject({ ok: false, firstBrokenSequence: sequence })
    expect(verdict.reason).toMatch(/"response" appears twice in one object/)
  })
})

describe('online verification', () => {
  it('a stored payload holding "response" twice, the first saying ALLOW, fails', async () => {
    const db = t.runtime.database.db
    const lines = await exportLines()
    const line = lines.find((l) => l.includes('"TAMPER-2"') && l.includes('"screening.created"'))!
    const { sequence, payload } = JSON.parse(line)
    const text = withAllowFirst(line).match(/"payload":(.*),"prevHash"/)![1]!
    await db.execute(sql`alter table audit_events disable trigger audit_events_no_update_delete`)
    try {
      // A json column keeps the text as written, both copies included.
      await db.execute(sql`update audit_events set payload = ${text}::json where sequence = ${sequence}`)
      const verdict = (await get('/v1/audit/verify')).json()
      expect(verdict).toMatchObject({ ok: false, firstBrokenSequence: sequence })
      expect(verdict.reason).toMatch(/"response" appears twice/)
      await db.execute(
        sql`update audit_events set payload = ${canonicalJson(payload)}::json where sequence = ${sequence}`,
      )
      expect((await get('/v1/audit/verify')).json()).toMatchObject({ ok: true })
    } finally {
      await db.execute(sql`alter table audit_events enable trigger audit_events_no_update_delete`)
    }
  })

  it('a chain whose first events were deleted fails, over the whole log and over a range', async () => {
    const db = t.runtime.database.db
    const second = JSON.parse((await exportLines())[2]!).at as string
    await db.execute(sql`alter table audit_events disable trigger audit_events_no_update_delete`)
    try {
      await db.execute(sql`delete from audit_events where sequence <= 2`)
    } finally {
      await db.execute(sql`alter table audit_events enable trigger audit_events_no_update_delete`)
    }
    const verdict = (await get('/v1/audit/verify')).json()
    expect(verdict).toMatchObject({ ok: false, firstBrokenSequence: 3 })
    expect(verdict.reason).toMatch(/starts at sequence 3, not at sequence 1 from the genesis hash/)
    // A range whose first event's predecessor is gone has nothing to link to either.
    const ranged = (await get(`/v1/audit/verify?from=${encodeURIComponent(second)}`)).json()
    expect(ranged).toMatchObject({ ok: false })
  })
})
