import type { Config } from '../config.ts'
import type { Database } from '../db/client.ts'
import { SYSTEM_ACTOR } from './actor.ts'
import { CheckpointSigner, loadSigningKey } from './audit-signer.ts'
import { GroupCommitter } from './group-commit.ts'
import { ImpactService } from './impact-service.ts'
import { KeyService } from './key-service.ts'
import { Nomenclature } from './nomenclature.ts'
import { RegistryService } from './registry-service.ts'
import { ReviewService } from './review-service.ts'
import { ScreeningService } from './screening-service.ts'
import { TradeReportService } from './trade-report.ts'
import { WebhookService } from './webhook-service.ts'
import { parseNetworks, WebhookTargets } from './webhook-targets.ts'
import { WebhookWorker } from './webhook-worker.ts'

export interface Services {
  database: Database
  registry: RegistryService
  keys: KeyService
  screenings: ScreeningService
  reviews: ReviewService
  impact: ImpactService
  committer: GroupCommitter
  nomenclature: Nomenclature
  signer: CheckpointSigner
  /** Where a signing key was generated at this start (`memory` for an in-memory database), else null. */
  signingKeyGenerated: string | null
  tradeReport: TradeReportService
  webhooks: WebhookService
  /** Delivers webhook events; the server starts it (`start()`), the runtime closes it. */
  webhookWorker: WebhookWorker
  /** Which addresses webhooks may target (WEBHOOK_ALLOWED_NETWORKS), checked at registration and delivery. */
  webhookTargets: WebhookTargets
}

let nomenclature: Nomenclature | undefined

/**
 * What the bench's comparison builds leave out (`bench/server.ts`, BENCH_WITHOUT), to measure what each
 * costs against the full service in the same run: signed checkpoints (issue #19's ≤ 5 % goal) and the
 * per-line fact table (issue #17's ≤ 10 %). Production always runs with neither left out.
 */
export type LeftOut = 'checkpoints' | 'lineFacts'

/** Wires the services over an open, migrated database and loads the active registry (bringing in the bundled versions). */
export async function createServices(
  database: Database,
  config: Config,
  leftOut: ReadonlySet<LeftOut> = new Set(),
): Promise<Services> {
  nomenclature ??= Nomenclature.load()
  const { key, generated } = loadSigningKey(config)
  const signer = new CheckpointSigner(key)
  await signer.register(database.db)
  const registry = new RegistryService(database.db, signer)
  await registry.seedBundled(SYSTEM_ACTOR)
  await registry.refresh()
  const committer = new GroupCommitter(database.db, {
    flushMs: config.AUDIT_FLUSH_MS,
    maxBatch: config.AUDIT_MAX_BATCH,
    signer: leftOut.has('checkpoints') ? null : signer,
  })
  const screenings = new ScreeningService(database.db, registry, committer, nomenclature, {
    lineFacts: !leftOut.has('lineFacts'),
  })
  const webhookTargets = new WebhookTargets(parseNetworks(config.WEBHOOK_ALLOWED_NETWORKS))
  const webhookWorker = new WebhookWorker(database.db, webhookTargets, {
    pollMs: config.WEBHOOK_POLL_MS,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    retryBaseMs: config.WEBHOOK_RETRY_BASE_MS,
    retryMaxMs: config.WEBHOOK_RETRY_MAX_MS,
    concurrency: config.WEBHOOK_CONCURRENCY,
  })
  // Screenings committed here are delivered without waiting for the next poll.
  committer.onBatch(() => webhookWorker.wake())
  return {
    database,
    registry,
    keys: new KeyService(database.db, signer),
    screenings,
    reviews: new ReviewService(database.db, signer),
    impact: new ImpactService(database.exportDb, registry),
    committer,
    nomenclature,
    signer,
    signingKeyGenerated: generated,
    tradeReport: new TradeReportService(database, registry, nomenclature),
    webhooks: new WebhookService(database.db, signer, webhookTargets),
    webhookWorker,
    webhookTargets,
  }
}
