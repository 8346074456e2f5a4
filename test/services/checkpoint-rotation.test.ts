import crypto, { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { scratchDatabase } from '../../scripts/server-process.ts'
import { buildApp } from '../../src/app.ts'
import { verifyFile } from '../../src/cli/verify-file.ts'
import { loadConfig } from '../../src/config.ts'
import { type Checkpoint, checkpointSignatureValid, publicKeysOfPem } from '../../src/core/checkpoint.ts'
import { openRuntime } from '../../src/runtime.ts'
import { cliActor } from '../../src/services/actor.ts'

const dir = mkdtempSync(join(tmpdir(), 'popscreen-rotation-'))
const cleanups: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })]
afterAll(async () => {
  for (const c of cleanups) await c()
})

/** A store that outlives a runtime: a PGlite directory, or a scratch PostgreSQL database. */
async function store(): Promise<Record<string, string>> {
  const base = process.env.DATABASE_URL
  if (!base) return { DATA_DIR: join(dir, 'data') }
  const db = await scratchDatabase(base, `popscreen_rot_${randomBytes(6).toString('hex')}`)
  cleanups.push(db.drop)
  return { DATABASE_URL: db.url, DATA_DIR: join(dir, 'unused') }
}

const pem = () =>
  crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()

/** Opens the store with `signingKey`, screens `n` declarations and returns what an auditor would fetch. */
async function session(env: Record<string, string>, signingKey: string, n: number) {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    AUDIT_FLUSH_MS: '1',
    MAX_EVENT_LOOP_DELAY_MS: '0',
    AUDIT_SIGNING_KEY: signingKey,
    ...env,
  })
  const runtime = await openRuntime(config)
  const app = await buildApp({ config, services: runtime.services })
  try {
    const { secret } = await runtime.services.keys.create('admin', `rot-${n}`, cliActor())
    const headers = { authorization: `Bearer ${secret}` }
    for (let i = 0; i < n; i++) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/screenings',
        headers,
        payload: {
          declaration: { id: `ROT-${n}-${i}`, direction: 'import' },
          lines: [{ lineNo: 1, hsCode: '290811' }],
        },
      })
      expect(res.statusCode).toBe(200)
    }
    return {
      keyId: (await app.inject({ url: '/v1/audit/public-key', headers })).json().keyId as string,
      keys: (await app.inject({ url: '/v1/audit/public-keys', headers })).json().items as {
        keyId: string
        publicKeyPem: string
      }[],
      checkpoints: (await app.inject({ url: '/v1/audit/checkpoints?limit=1000', headers })).json()
        .items as Checkpoint[],
      events: (await app.inject({ url: '/v1/audit/events?format=ndjson', headers })).body,
    }
  } finally {
    await app.close()
    await runtime.close()
  }
}

describe('signing key rotation', () => {
  it('a new key gets a new id; checkpoints signed before stay verifiable with the old key, which stays listed', async () => {
    const env = await store()
    const [keyA, keyB] = [pem(), pem()]
    const before = await session(env, keyA, 3)
    const after = await session(env, keyB, 3)
    expect(after.keyId).not.toBe(before.keyId)
    expect(after.keys.map((k) => k.keyId)).toEqual([before.keyId, after.keyId])
    const publicKeys = publicKeysOfPem(after.keys.map((k) => k.publicKeyPem).join('\n'))
    const signedBy = new Set(after.checkpoints.map((c) => c.keyId))
    expect(signedBy).toEqual(new Set([before.keyId, after.keyId]))
    for (const c of after.checkpoints)
      expect(checkpointSignatureValid(c, publicKeys.get(c.keyId)!)).toBe(true)
    // The old checkpoints are exactly what the auditor got before the rotation.
    expect(after.checkpoints.filter((c) => c.keyId === before.keyId)).toEqual(before.checkpoints)

    const events = join(dir, 'events.ndjson')
    writeFileSync(events, after.events)
    expect(await verifyFile(events, { checkpoints: after.checkpoints, publicKeys })).toMatchObject({
      ok: true,
    })
    const newOnly = publicKeysOfPem(after.keys.at(-1)!.publicKeyPem)
    expect(await verifyFile(events, { checkpoints: after.checkpoints, publicKeys: newOnly })).toMatchObject({
      ok: false,
      reason: expect.stringContaining(before.keyId),
    })
  })
})
