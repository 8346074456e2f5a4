import crypto from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { ChainTail } from '../core/audit-chain.ts'
import { type Checkpoint, type SigningKey, signCheckpoint, signingKeyOf } from '../core/checkpoint.ts'
import type { Queryable } from '../db/client.ts'
import { auditSigningKeys } from '../db/schema.ts'

export const SIGNING_KEY_FILE = 'audit-signing-key.pem'

export interface SigningKeySource {
  AUDIT_SIGNING_KEY?: string | undefined
  AUDIT_SIGNING_KEY_FILE?: string | undefined
  DATA_DIR: string
}

/**
 * The checkpoint signing key: `AUDIT_SIGNING_KEY` (PKCS#8 PEM), else `AUDIT_SIGNING_KEY_FILE`, else the key
 * file in `DATA_DIR`, generated there on first start (`generated` is then its path, for a warning: a key
 * beside the database protects against nobody who can take both). With `DATA_DIR=memory://` (tests) a
 * key lives as long as the process.
 */
export function loadSigningKey(source: SigningKeySource): { key: SigningKey; generated: string | null } {
  if (source.AUDIT_SIGNING_KEY)
    return { key: signingKeyOf(source.AUDIT_SIGNING_KEY.replaceAll('\\n', '\n')), generated: null }
  if (source.AUDIT_SIGNING_KEY_FILE)
    return { key: signingKeyOf(readFileSync(source.AUDIT_SIGNING_KEY_FILE, 'utf8')), generated: null }
  if (source.DATA_DIR === 'memory://') return { key: generateSigningKey(), generated: 'memory' }
  const path = resolve(join(source.DATA_DIR, SIGNING_KEY_FILE))
  if (existsSync(path)) return { key: signingKeyOf(readFileSync(path, 'utf8')), generated: null }
  const key = generateSigningKey()
  mkdirSync(source.DATA_DIR, { recursive: true })
  writeFileSync(path, key.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
    flag: 'wx',
    flush: true,
  })
  return { key, generated: path }
}

export function generateSigningKey(): SigningKey {
  const { privateKey } = crypto.generateKeyPairSync('ed25519')
  return signingKeyOf(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())
}

/** Signs one checkpoint per committed batch, inside the batch's statement or transaction. */
export class CheckpointSigner {
  constructor(readonly key: SigningKey) {}

  sign(tail: ChainTail, at: string): Checkpoint {
    return signCheckpoint(this.key, { sequence: tail.sequence, hash: tail.hash, at })
  }

  /** Lists this key's public half in the database (once), so checkpoints stay verifiable after rotation. */
  async register(db: Queryable): Promise<void> {
    await db
      .insert(auditSigningKeys)
      .values({ keyId: this.key.keyId, algorithm: 'Ed25519', publicKeyPem: this.key.publicKeyPem })
      .onConflictDoNothing()
  }
}
