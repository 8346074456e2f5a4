import crypto, { randomBytes } from 'node:crypto'
import { desc, eq, sql } from 'drizzle-orm'
import { LRUCache } from 'lru-cache'
import { uuidv7 } from 'uuidv7'
import { withClientRequestId } from '../core/audit-chain.ts'
import type { Db } from '../db/client.ts'
import { apiKeys } from '../db/schema.ts'
import type { Principal, Role } from './actor.ts'
import { appendEvents } from './audit-log.ts'
import type { CheckpointSigner } from './audit-signer.ts'
import { notFound } from './errors.ts'

const SECRET_PREFIX = 'pops_'
/** Every secret this service makes: the prefix and 24 random bytes in base64url. */
const SECRET_SHAPE = /^pops_[A-Za-z0-9_-]{32}$/
/** Keys (known or not) remembered; the least recently used is dropped first. */
const CACHE_MAX = 10_000
/** How long an authenticated key is trusted without asking the database (revocation by another process). */
const CACHE_TTL_MS = 5_000
const LAST_USED_EVERY_MS = 60_000
/**
 * The PostgreSQL channel a revocation is announced on, with the revoked key's hash (the cache's key), so
 * other instances drop it at once instead of trusting their cache for up to CACHE_TTL_MS (issue 22).
 */
export const KEY_REVOKED_CHANNEL = 'popscreen_key_revoked'

export interface KeySummary {
  id: string
  name: string
  role: Role
  prefix: string
  createdAt: string
  lastUsedAt: string | null
  revokedAt: string | null
}

const hashSecret = (secret: string) => crypto.hash('sha256', secret, 'hex')

/** A new API key secret: 192 random bits. */
export const newSecret = () => `${SECRET_PREFIX}${randomBytes(24).toString('base64url')}`

function summarize(row: typeof apiKeys.$inferSelect): KeySummary {
  return {
    id: row.id,
    name: row.name,
    role: row.role as Role,
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  }
}

/** API keys: 192 random bits shown once; only their sha256 is stored. */
export class KeyService {
  // An LRU: the old clear-all at 10,000 entries let a flood of made-up keys push every real one out.
  private readonly cache: LRUCache<string, { principal: Principal | null }>
  private readonly lastUsedWritten = new Map<string, number>()
  /**
   * Counts invalidations. A lookup caches its row only if none came in while it ran: a revocation
   * announced between the lookup's read and its caching would otherwise be undone by it.
   */
  private generation = 0

  constructor(
    private readonly db: Db,
    private readonly signer: CheckpointSigner,
    { cacheTtlMs = CACHE_TTL_MS }: { cacheTtlMs?: number } = {},
  ) {
    this.cache = new LRUCache({ max: CACHE_MAX, ttl: cacheTtlMs })
  }

  async create(
    role: Role,
    name: string,
    actor: Principal,
    requestId: string | null = null,
    /** A secret made beforehand (the bootstrap key is written to its file before it exists). */
    secret = newSecret(),
    clientRequestId: string | null = null,
  ): Promise<{ key: KeySummary; secret: string }> {
    const id = uuidv7()
    const key = await this.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(apiKeys)
        .values({ id, name, role, prefix: secret.slice(0, 12), keyHash: hashSecret(secret) })
        .returning()
      await appendEvents(
        tx,
        [
          {
            action: 'key.created',
            actor,
            subject: { keyId: id },
            requestId,
            payload: withClientRequestId({ name, role, prefix: row!.prefix }, clientRequestId),
          },
        ],
        this.signer,
      )
      return summarize(row!)
    })
    return { key, secret }
  }

  /** Whether any key was ever made, revoked ones included. */
  async any(): Promise<boolean> {
    return (await this.db.select({ id: apiKeys.id }).from(apiKeys).limit(1)).length > 0
  }

  async list(): Promise<KeySummary[]> {
    const rows = await this.db.select().from(apiKeys).orderBy(desc(apiKeys.createdAt))
    return rows.map(summarize)
  }

  async revoke(
    id: string,
    actor: Principal,
    requestId: string | null = null,
    clientRequestId: string | null = null,
  ): Promise<KeySummary> {
    const key = await this.db.transaction(async (tx) => {
      const [existing] = await tx.select().from(apiKeys).where(eq(apiKeys.id, id))
      if (!existing) throw notFound(`API key ${id}`)
      if (existing.revokedAt) return summarize(existing)
      const [row] = await tx
        .update(apiKeys)
        .set({ revokedAt: new Date() })
        .where(eq(apiKeys.id, id))
        .returning()
      // Delivered to every listening instance when this transaction commits, never before.
      await tx.execute(sql`select pg_notify(${KEY_REVOKED_CHANNEL}, ${existing.keyHash})`)
      await appendEvents(
        tx,
        [
          {
            action: 'key.revoked',
            actor,
            subject: { keyId: id },
            requestId,
            payload: withClientRequestId({ name: row!.name, role: row!.role }, clientRequestId),
          },
        ],
        this.signer,
      )
      return summarize(row!)
    })
    this.forgetAll()
    return key
  }

  /** Drops one key from the cache (a revocation announced by another instance). */
  forget(keyHash: string): void {
    this.generation++
    this.cache.delete(keyHash)
  }

  /** Drops every cached key (a revocation here, or announcements that may have been missed). */
  forgetAll(): void {
    this.generation++
    this.cache.clear()
  }

  /** The principal behind a bearer secret, or null for an unknown or revoked key. */
  async authenticate(secret: string): Promise<Principal | null> {
    // No key of another shape exists: refuse it without hashing it or asking the database.
    if (!SECRET_SHAPE.test(secret)) return null
    const hash = hashSecret(secret)
    const now = Date.now()
    const cached = this.cache.get(hash)
    if (cached) return cached.principal
    const generation = this.generation
    const [row] = await this.db.select().from(apiKeys).where(eq(apiKeys.keyHash, hash))
    const principal: Principal | null =
      row && !row.revokedAt ? { keyId: row.id, name: row.name, role: row.role as Role } : null
    if (generation === this.generation) this.cache.set(hash, { principal })
    if (principal?.keyId) this.touch(principal.keyId, now)
    return principal
  }

  /** last_used_at at minute resolution, written in the background: it is informational, not audit. */
  private touch(id: string, now: number): void {
    if ((this.lastUsedWritten.get(id) ?? 0) > now - LAST_USED_EVERY_MS) return
    this.lastUsedWritten.set(id, now)
    this.db
      .update(apiKeys)
      .set({ lastUsedAt: new Date(now) })
      .where(eq(apiKeys.id, id))
      .catch(() => this.lastUsedWritten.delete(id))
  }
}
