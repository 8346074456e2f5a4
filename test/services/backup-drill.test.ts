/**
 * The backup runbook (README, Operations) as tests: a restored store has a chain and checkpoints that
 * verify, offline against what the auditor fetched before the backup, and screening goes on after it.
 */
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { scratchDatabase } from '../../scripts/server-process.ts'
import { buildApp } from '../../src/app.ts'
import { verifyFile } from '../../src/cli/verify-file.ts'
import { loadConfig } from '../../src/config.ts'
import type { Checkpoint } from '../../src/core/checkpoint.ts'
import { publicKeysOfPem } from '../../src/core/checkpoint.ts'
import { LOCK_FILE } from '../../src/db/data-dir-lock.ts'
import { openRuntime } from '../../src/runtime.ts'
import { cliActor } from '../../src/services/actor.ts'
import { SIGNING_KEY_FILE } from '../../src/services/audit-signer.ts'

const dir = mkdtempSync(join(tmpdir(), 'popscreen-backup-'))
const cleanups: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })]
afterAll(async () => {
  for (const c of cleanups.reverse()) await c()
})

interface Fetched {
  checkpoints: Checkpoint[]
  publicKeyPem: string
  events: string
  verify: { ok: boolean; checked: number }
  lastScreening: { audit: { sequence: number; checkpoint: Checkpoint } }
}

/** Opens the store, screens `n` declarations, and fetches what an auditor would. */
async function session(env: Record<string, string>, n: number, tag: string): Promise<Fetched> {
  const config = loadConfig({
    LOG_LEVEL: process.env.TEST_LOG ?? 'silent',
    AUDIT_FLUSH_MS: '1',
    MAX_EVENT_LOOP_DELAY_MS: '0',
    ...env,
  })
  const runtime = await openRuntime(config)
  const app = await buildApp({ config, services: runtime.services })
  try {
    const { secret } = await runtime.services.keys.create('admin', `backup-${tag}`, cliActor())
    const headers = { authorization: `Bearer ${secret}` }
    let lastScreening: Fetched['lastScreening'] | undefined
    for (let i = 0; i < n; i++) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/screenings',
        headers,
        payload: {
          declaration: { id: `BAK-${tag}-${i}`, direction: 'import' },
          lines: [{ lineNo: 1, hsCode: '290811' }],
        },
      })
      expect(res.statusCode, `${tag} ${i}: ${res.body}`).toBe(200)
      lastScreening = res.json()
    }
    return {
      checkpoints: (await app.inject({ url: '/v1/audit/checkpoints?limit=1000', headers })).json().items,
      publicKeyPem: (await app.inject({ url: '/v1/audit/public-key', headers })).json().publicKeyPem,
      events: (await app.inject({ url: '/v1/audit/events?format=ndjson', headers })).body,
      verify: (await app.inject({ url: '/v1/audit/verify', headers })).json(),
      lastScreening: lastScreening!,
    }
  } finally {
    await app.close()
    await runtime.close()
  }
}

/** Offline verification of `after`'s export against the checkpoints fetched `before` and after. */
async function expectVerifies(before: Fetched, after: Fetched, name: string) {
  const events = join(dir, `${name}.ndjson`)
  writeFileSync(events, after.events)
  const publicKeys = publicKeysOfPem(before.publicKeyPem)
  expect(await verifyFile(events, { checkpoints: before.checkpoints, publicKeys })).toMatchObject({
    ok: true,
  })
  expect(await verifyFile(events, { checkpoints: after.checkpoints, publicKeys })).toMatchObject({ ok: true })
  expect(after.verify).toMatchObject({ ok: true })
  expect(after.checkpoints.slice(0, before.checkpoints.length)).toEqual(before.checkpoints)
  // Screening continued on the restored store, signed with the same key, after the restored chain.
  expect(after.lastScreening.audit.sequence).toBeGreaterThan(before.lastScreening.audit.sequence)
  expect(after.lastScreening.audit.checkpoint.keyId).toBe(before.lastScreening.audit.checkpoint.keyId)
}

describe('backup drill', () => {
  it('PGlite: a copy of the stopped DATA_DIR (its generated signing key included) restores and goes on', async () => {
    const original = join(dir, 'data')
    const before = await session({ DATA_DIR: original }, 4, 'pglite')
    expect(existsSync(join(original, LOCK_FILE))).toBe(false) // stopped: the lock is released
    const copy = join(dir, 'restored')
    cpSync(original, copy, { recursive: true })
    expect(existsSync(join(copy, SIGNING_KEY_FILE))).toBe(true)
    const after = await session({ DATA_DIR: copy }, 2, 'pglite-restored')
    await expectVerifies(before, after, 'pglite')
  })

  it.skipIf(!process.env.DATABASE_URL)(
    'PostgreSQL: pg_dump and pg_restore into a new database restore and go on',
    async () => {
      const base = process.env.DATABASE_URL!
      const suffix = randomBytes(5).toString('hex')
      const source = await scratchDatabase(base, `popscreen_bak_${suffix}`)
      cleanups.push(source.drop)
      const target = await scratchDatabase(base, `popscreen_bak_${suffix}_r`)
      cleanups.push(target.drop)
      const keyFile = join(dir, 'signing-key.pem')
      const env = { AUDIT_SIGNING_KEY_FILE: keyFile, DATA_DIR: join(dir, 'unused') }
      writeFileSync(
        keyFile,
        generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
      )
      const before = await session({ ...env, DATABASE_URL: source.url }, 4, 'pg')
      const dump = join(dir, 'popscreen.dump')
      execFileSync('pg_dump', ['--format=custom', '--no-owner', `--file=${dump}`, source.url])
      execFileSync('pg_restore', ['--no-owner', '--exit-on-error', `--dbname=${target.url}`, dump])
      const after = await session({ ...env, DATABASE_URL: target.url }, 2, 'pg-restored')
      await expectVerifies(before, after, 'pg')
    },
  )
})
