import type { SQL } from 'drizzle-orm'
import { type AuditEvent, type ChainTail, sealEvents, type UnsealedEvent } from '../core/audit-chain.ts'
import { canonicalJson } from '../core/canonical-json.ts'
import type { Checkpoint } from '../core/checkpoint.ts'
import type { Db, Queryable } from '../db/client.ts'
import { appendSealedSql, insertCheckpointSql, isChainConflict, lockChain, readTail } from './audit-log.ts'
import type { CheckpointSigner } from './audit-signer.ts'
import { isDatabaseUnavailable } from './errors.ts'

/**
 * Rows that belong with events and must commit with them (a screening, its review case), as INSERT
 * statements for a whole batch; they run inside the batch's one statement.
 */
export type StageRows = (events: readonly { item: CommitItem; event: AuditEvent }[]) => (SQL | null)[]

export interface CommitItem {
  event: UnsealedEvent
  /** Items of one batch that share a `stage` have their rows written by one call of it. */
  stage: StageRows
}

/**
 * An event as committed, with the signed checkpoint of its batch (the caller's receipt); null only in the
 * bench's comparison build without checkpoints.
 */
export interface Committed {
  event: AuditEvent
  checkpoint: Checkpoint | null
}

interface Waiting {
  item: CommitItem
  resolve: (committed: Committed) => void
  reject: (err: unknown) => void
}

interface Batch {
  events: AuditEvent[]
  checkpoint: Checkpoint | null
}

/**
 * Told of every committed batch (/metrics counts them): how many events it held and how long it took to
 * seal, write and commit (a retry under the chain lock included).
 */
export type BatchListener = (events: number, seconds: number) => void

export interface GroupCommitOptions {
  flushMs: number
  maxBatch: number
  /**
   * Signs each batch's checkpoint: once per batch, in the batch's statement. Null only in the bench's
   * comparison build (`bench/server.ts`, BENCH_WITHOUT=checkpoints), which measures what they cost.
   */
  signer: CheckpointSigner | null
}

/**
 * Group commit: concurrent callers wait together for one transaction that appends all their events, so
 * throughput follows load instead of fsyncs. Every caller still awaits its own COMMIT; when a batch fails
 * it is split in halves until the bad item fails alone.
 */
export class GroupCommitter {
  private queue: Waiting[] = []
  private timer: NodeJS.Timeout | null = null
  private flushing: Promise<void> | null = null
  private closed = false
  /** The last event this writer committed: the next batch links to it unless another writer came between. */
  private tail: ChainTail | null | undefined
  private readonly batchListeners = new Set<BatchListener>()

  constructor(
    private readonly db: Db,
    private readonly options: GroupCommitOptions,
  ) {}

  /** Calls `listener` after each committed batch, until the returned function is called. */
  onBatch(listener: BatchListener): () => void {
    this.batchListeners.add(listener)
    return () => this.batchListeners.delete(listener)
  }

  submit(item: CommitItem): Promise<Committed> {
    if (this.closed) return Promise.reject(new Error('audit writer is closed'))
    // Canonicalise now, while requests still run concurrently, not inside the serialised flush.
    item.event.canonicalPayload ??= canonicalJson(item.event.payload)
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject })
      this.schedule()
    })
  }

  private schedule(): void {
    if (this.flushing) return
    if (this.queue.length >= this.options.maxBatch || this.options.flushMs === 0) {
      this.startFlush()
      return
    }
    this.timer ??= setTimeout(() => this.startFlush(), this.options.flushMs)
  }

  private startFlush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (this.flushing || this.queue.length === 0) return
    const batch = this.queue.splice(0, this.options.maxBatch)
    this.flushing = this.flush(batch).finally(() => {
      this.flushing = null
      // Whoever queued during that flush has waited a whole batch already: no gathering window for them.
      if (this.queue.length > 0) this.startFlush()
    })
  }

  /**
   * Commits the batch; if it fails, each half is committed on its own, and so on down, so one bad item
   * fails alone after about 2·log2(n) statements. Retrying every item one by one after one bad row cost
   * a statement per item: 40 clients fell from 760 to 280 screenings/s.
   */
  private async flush(batch: Waiting[]): Promise<void> {
    try {
      const started = performance.now()
      const { events, checkpoint } = await this.commit(batch.map((w) => w.item))
      const seconds = (performance.now() - started) / 1000
      for (const listener of this.batchListeners) listener(batch.length, seconds)
      batch.forEach((w, i) => {
        w.resolve({ event: events[i]!, checkpoint })
      })
    } catch (err) {
      // With the database gone, retrying the halves would only queue more doomed transactions.
      if (batch.length === 1 || isDatabaseUnavailable(err)) {
        for (const w of batch) w.reject(err)
        return
      }
      const half = Math.ceil(batch.length / 2)
      await this.flush(batch.slice(0, half))
      await this.flush(batch.slice(half))
    }
  }

  /**
   * One round trip in the usual case: the batch is sealed after this writer's own last event and written
   * in one statement. When another writer appended in between (another process, or a review, key or
   * registry event), the statement fails on the sequence and writes nothing; the batch is then written
   * under the chain lock after the tail read there.
   */
  private async commit(items: CommitItem[]): Promise<Batch> {
    const known = this.tail
    this.tail = undefined
    if (known !== undefined) {
      try {
        return this.remember(await this.write(this.db, items, known))
      } catch (err) {
        if (!isChainConflict(err)) throw err
      }
    }
    const batch = await this.db.transaction(async (tx) => {
      await lockChain(tx)
      return this.write(tx, items, await readTail(tx))
    })
    return this.remember(batch)
  }

  private async write(db: Queryable, items: CommitItem[], tail: ChainTail | null): Promise<Batch> {
    const at = new Date().toISOString()
    const events = sealEvents(
      items.map((i) => i.event),
      tail,
      at,
    )
    const checkpoint = this.options.signer?.sign(events[events.length - 1]!, at) ?? null
    const byStage = new Map<StageRows, { item: CommitItem; event: AuditEvent }[]>()
    items.forEach((item, i) => {
      const list = byStage.get(item.stage) ?? []
      list.push({ item, event: events[i]! })
      byStage.set(item.stage, list)
    })
    const rows = [...byStage].flatMap(([stage, list]) => stage(list)).filter((r): r is SQL => r !== null)
    if (checkpoint) rows.push(insertCheckpointSql(checkpoint))
    await db.execute(appendSealedSql(events, rows))
    return { events, checkpoint }
  }

  private remember(batch: Batch): Batch {
    const last = batch.events[batch.events.length - 1]!
    this.tail = { sequence: last.sequence, hash: last.hash }
    return batch
  }

  /** Stops taking work and waits for what was accepted to commit. */
  async close(): Promise<void> {
    this.closed = true
    while (this.queue.length > 0 || this.flushing) {
      if (!this.flushing) this.startFlush()
      await this.flushing
    }
  }
}
