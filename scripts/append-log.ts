import { sealEvents, type UnsealedEvent } from '../src/core/audit-chain.ts'
import type { Db } from '../src/db/client.ts'
import { insertEvents, readTail } from '../src/services/audit-log.ts'

/**
 * Appends `count` events straight to the audit log, chained after its tail, one statement per batch: a
 * large log in seconds without screening anything (tests and the audit bench). `event(n)` makes the
 * n-th (from 0); `at(batch)` stamps a whole batch (default: now).
 */
export async function appendLog(
  db: Db,
  count: number,
  event: (n: number) => UnsealedEvent,
  {
    batchSize = 5_000,
    at = () => new Date().toISOString(),
  }: { batchSize?: number; at?: (batch: number) => string } = {},
): Promise<void> {
  let tail = await readTail(db)
  for (let first = 0, batch = 0; first < count; first += batchSize, batch++) {
    const size = Math.min(batchSize, count - first)
    const events = sealEvents(
      Array.from({ length: size }, (_, i) => event(first + i)),
      tail,
      at(batch),
    )
    await insertEvents(db, events)
    tail = events[events.length - 1]!
  }
}
