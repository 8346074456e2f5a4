import crypto from 'node:crypto'
import { readFileSync } from 'node:fs'
import { desc, eq } from 'drizzle-orm'
import { type AuditActor, type UnsealedEvent, withClientRequestId } from '../core/audit-chain.ts'
import { canonicalJson } from '../core/canonical-json.ts'
import { type RegistryDocument, RegistryDocumentSchema } from '../core/registry-document.ts'
import { buildSnapshot, type RegistrySnapshot } from '../core/snapshot.ts'
import { toFieldErrors } from '../core/validation-errors.ts'
import type { Db } from '../db/client.ts'
import { registryVersions } from '../db/schema.ts'
import { projectFile } from '../project-files.ts'
import { appendEvents, lockChain } from './audit-log.ts'
import type { CheckpointSigner } from './audit-signer.ts'
import { AppError, notFound, validationFailed } from './errors.ts'

/** The registry versions shipped in `registry/versions/`, oldest first. */
export const BUNDLED_VERSIONS = ['2024.1', '2025.1'] as const
/** The version a fresh install activates. */
export const CURRENT_VERSION = '2025.1'
const bundledFile = (version: string) => projectFile('registry', 'versions', `${version}.json`)

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

  constructor(
    private readonly db: Db,
    private readonly signer: CheckpointSigner,
  ) {}

  current(): RegistrySnapshot | null {
    return this.snapshot
  }

  /**
   * Brings the bundled versions into the database. A fresh install gets all of them and the newest
   * active. An installation that already has a registry gets the versions it lacks imported INACTIVE:
   * its active version stays in force until an admin reads the diff and the impact report and activates
   * the new one (`POST /v1/registry/versions/{v}/activate`). Versions are immutable: one already stored
   * under a bundled version's name is left as it is.
   */
  async seedBundled(actor: AuditActor): Promise<void> {
    const bundled = BUNDLED_VERSIONS.map((version) => {
      const document = parseRegistryDocument(JSON.parse(readFileSync(bundledFile(version), 'utf8')))
      return { document, hash: documentHash(document) }
    })
    await this.db.transaction(async (tx) => {
      // The chain lock also orders seeding between processes that start together.
      await lockChain(tx)
      const stored = await tx
        .select({ version: registryVersions.version, active: registryVersions.active })
        .from(registryVersions)
      const fresh = stored.length === 0
      const active = stored.find((row) => row.active)?.version ?? null
      const missing = bundled.filter((b) => !stored.some((row) => row.version === b.document.version))
      if (missing.length === 0) return
      const events: UnsealedEvent[] = []
      for (const { document, hash } of missing) {
        const activate = fresh && document.version === CURRENT_VERSION
        await tx.insert(registryVersions).values({
          version: document.version,
          contentHash: hash,
          document,
          createdBy: actor,
          active: activate,
          ...(activate ? { activatedAt: new Date(), activatedBy: actor } : {}),
        })
        const subject = { registryVersion: document.version }
        events.push({
          action: 'registry.imported',
          actor,
          subject,
          registryVersion: document.version,
          payload: fresh
            ? { hash, seeded: true, active: activate }
            : {
                hash,
                seeded: true,
                active: false,
                upgrade: true,
                keptActive: active,
                note: `bundled with this release and imported inactive: ${active ?? 'no version'} stays active until an admin reads the diff and impact report of ${document.version} and activates it`,
              },
        })
        if (activate)
          events.push({
            action: 'registry.activated',
            actor,
            subject,
            registryVersion: document.version,
            payload: { hash, previous: null },
          })
      }
      await appendEvents(tx, events, this.signer)
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

  async import(
    input: unknown,
    actor: AuditActor,
    requestId: string | null,
    clientRequestId: string | null = null,
  ): Promise<VersionSummary> {
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
      await appendEvents(
        tx,
        [
          {
            action: 'registry.imported',
            actor,
            subject: { registryVersion: document.version },
            registryVersion: document.version,
            requestId,
            payload: withClientRequestId({ hash, groups: document.groups.length }, clientRequestId),
          },
        ],
        this.signer,
      )
      return summarize(inserted[0]!)
    })
  }

  async activate(
    version: string,
    actor: AuditActor,
    requestId: string | null,
    clientRequestId: string | null = null,
  ): Promise<VersionSummary> {
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
      await appendEvents(
        tx,
        [
          {
            action: 'registry.activated',
            actor,
            subject: { registryVersion: version },
            registryVersion: version,
            requestId,
            payload: withClientRequestId(
              { hash: target.contentHash, previous: previous?.version ?? null },
              clientRequestId,
            ),
          },
        ],
        this.signer,
      )
      return summarize(updated!)
    })
    await this.refresh()
    return summary
  }
}
