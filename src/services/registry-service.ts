import crypto from 'node:crypto'
import { readFileSync } from 'node:fs'
import { desc, eq, sql } from 'drizzle-orm'
import type { AuditActor } from '../core/audit-chain.ts'
import { canonicalJson } from '../core/canonical-json.ts'
import { type RegistryDocument, RegistryDocumentSchema } from '../core/registry-document.ts'
import { buildSnapshot, type RegistrySnapshot } from '../core/snapshot.ts'
import { toFieldErrors } from '../core/validation-errors.ts'
import { type Db, queryRows } from '../db/client.ts'
import { registryVersions } from '../db/schema.ts'
import { projectFile } from '../project-files.ts'
import { appendEvents, lockChain } from './audit-log.ts'
import { AppError, notFound, validationFailed } from './errors.ts'

export const SEED_VERSION = '2024.1'
const SEED_FILE = projectFile('registry', 'versions', `${SEED_VERSION}.json`)

export function documentHash(document: RegistryDocument): string {
  return `sha256:${crypto.hash('sha256', canonicalJson(document), 'hex')}`
}

/** Parses an uploaded document; every problem is reported at once, as JSON pointers into the document. */
export function parseRegistryDocument(input: unknown): RegistryDocument {
  const parsed = RegistryDocumentSchema.safeParse(input, { reportInput: true })
  if (!parsed.success)
    throw validationFailed(toFieldErrors(parsed.error.issues), 'the registry document is invalid')
  return parsed.data
}

export interface VersionSummary {
  version: string
  hash: string
  title: RegistryDocument['title']
  groups: number
  active: boolean
  createdAt: string
  createdBy: AuditActor
  activatedAt: string | null
  activatedBy: AuditActor | null
}

type VersionRow = typeof registryVersions.$inferSelect

function summarize(row: VersionRow): VersionSummary {
  const document = row.document as RegistryDocument
  return {
    version: row.version,
    hash: row.contentHash,
    title: document.title,
    groups: document.groups.length,
    active: row.active,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy as AuditActor,
    activatedAt: row.activatedAt?.toISOString() ?? null,
    activatedBy: (row.activatedBy as AuditActor | null) ?? null,
  }
}

/**
 * Owns the active snapshot. Screenings read `current()` once and keep that object to the end, so an
 * activation never changes a decision half-way; other instances notice activations by polling.
 */
export class RegistryService {
  private snapshot: RegistrySnapshot | null = null
  private poller: NodeJS.Timeout | null = null
  private readonly snapshots = new Map<string, RegistrySnapshot>()

  constructor(private readonly db: Db) {}

  current(): RegistrySnapshot | null {
    return this.snapshot
  }

  /** Imports and activates the bundled first version when the database has no registry yet. */
  async seedIfEmpty(actor: AuditActor): Promise<void> {
    const document = parseRegistryDocument(JSON.parse(readFileSync(SEED_FILE, 'utf8')))
    const hash = documentHash(document)
    await this.db.transaction(async (tx) => {
      // The chain lock also orders seeding between processes that start together.
      await lockChain(tx)
      const [existing] = await queryRows<{ n: number }>(
        tx,
        sql`select count(*)::int as n from registry_versions`,
      )
      if (existing && existing.n > 0) return
      await tx.insert(registryVersions).values({
        version: document.version,
        contentHash: hash,
        document,
        createdBy: actor,
        active: true,
        activatedAt: new Date(),
        activatedBy: actor,
      })
      const subject = { registryVersion: document.version }
      await appendEvents(tx, [
        {
          action: 'registry.imported',
          actor,
          subject,
          registryVersion: document.version,
          payload: { hash, seeded: true },
        },
        {
          action: 'registry.activated',
          actor,
          subject,
          registryVersion: document.version,
          payload: { hash, previous: null },
        },
      ])
    })
  }

  /** Reads the active version from the database and swaps the snapshot if it changed. */
  async refresh(): Promise<RegistrySnapshot | null> {
    const [row] = await this.db
      .select({ version: registryVersions.version, hash: registryVersions.contentHash })
      .from(registryVersions)
      .where(eq(registryVersions.active, true))
    if (!row) return this.snapshot
    if (this.snapshot?.version === row.version && this.snapshot.hash === row.hash) return this.snapshot
    this.snapshot = await this.snapshotOf(row.version)
    return this.snapshot
  }

  /** A snapshot of any stored version (for impact analysis), built once and cached. */
  async snapshotOf(version: string): Promise<RegistrySnapshot> {
    const cached = this.snapshots.get(version)
    if (cached) return cached
    const row = await this.row(version)
    const snapshot = buildSnapshot(row.document as RegistryDocument, row.contentHash)
    this.snapshots.set(version, snapshot)
    return snapshot
  }

  startPolling(intervalMs: number, onError: (err: unknown) => void): void {
    this.poller = setInterval(() => this.refresh().catch(onError), intervalMs)
    this.poller.unref()
  }

  stopPolling(): void {
    if (this.poller) clearInterval(this.poller)
    this.poller = null
  }

  async list(): Promise<VersionSummary[]> {
    const rows = await this.db.select().from(registryVersions).orderBy(desc(registryVersions.createdAt))
    return rows.map(summarize)
  }

  async get(version: string): Promise<VersionSummary & { document: RegistryDocument }> {
    const row = await this.row(version)
    return { ...summarize(row), document: row.document as RegistryDocument }
  }

  private async row(version: string): Promise<VersionRow> {
    const [row] = await this.db.select().from(registryVersions).where(eq(registryVersions.version, version))
    if (!row) throw notFound(`registry version ${version}`)
    return row
  }

  async import(input: unknown, actor: AuditActor, requestId: string | null): Promise<VersionSummary> {
    const document = parseRegistryDocument(input)
    const hash = documentHash(document)
    return this.db.transaction(async (tx) => {
      const inserted = await tx
        .insert(registryVersions)
        .values({ version: document.version, contentHash: hash, document, createdBy: actor })
        .onConflictDoNothing()
        .returning()
      if (inserted.length === 0)
        throw new AppError(409, 'VERSION_EXISTS', `registry version ${document.version} already exists`, {
          title: 'Conflict',
        })
      await appendEvents(tx, [
        {
          action: 'registry.imported',
          actor,
          subject: { registryVersion: document.version },
          registryVersion: document.version,
          requestId,
          payload: { hash, groups: document.groups.length },
        },
      ])
      return summarize(inserted[0]!)
    })
  }

  async activate(version: string, actor: AuditActor, requestId: string | null): Promise<VersionSummary> {
    const summary = await this.db.transaction(async (tx) => {
      await lockChain(tx)
      const [target] = await tx.select().from(registryVersions).where(eq(registryVersions.version, version))
      if (!target) throw notFound(`registry version ${version}`)
      const [previous] = await tx
        .select({ version: registryVersions.version })
        .from(registryVersions)
        .where(eq(registryVersions.active, true))
      if (previous?.version === version) return summarize(target)
      await tx.update(registryVersions).set({ active: false }).where(eq(registryVersions.active, true))
      const [updated] = await tx
        .update(registryVersions)
        .set({ active: true, activatedAt: new Date(), activatedBy: actor })
        .where(eq(registryVersions.version, version))
        .returning()
      await appendEvents(tx, [
        {
          action: 'registry.activated',
          actor,
          subject: { registryVersion: version },
          registryVersion: version,
          requestId,
          payload: { hash: target.contentHash, previous: previous?.version ?? null },
        },
      ])
      return summarize(updated!)
    })
    await this.refresh()
    return summary
  }
}
