import type pg from 'pg'
import { to as copyTo } from 'pg-copy-streams'

/**
 * How much of a statement's output may wait in memory before its connection is paused. What waits is
 * socket buffers in malloc's heap, which keeps the high-water mark resident after the export: 8 MiB on each
 * of two connections left a yearly CSV export's server ~30 MiB larger than 2 MiB did, at the same rows/s.
 */
const READ_AHEAD_BYTES = 2 * 1024 * 1024

interface Running {
  chunks(): AsyncGenerator<Buffer>
}

/** Starts a COPY and buffers its output up to READ_AHEAD_BYTES, then pauses until the buffer is drained. */
function start(client: pg.PoolClient, statement: string): Running {
  const stream = client.query(copyTo(statement))
  const buffered: Buffer[] = []
  let bytes = 0
  let ended = false
  let failure: unknown = null
  let wake: (() => void) | null = null
  const notify = () => {
    wake?.()
    wake = null
  }
  stream.on('data', (chunk: Buffer) => {
    buffered.push(chunk)
    bytes += chunk.length
    if (bytes >= READ_AHEAD_BYTES) stream.pause()
    notify()
  })
  stream.on('end', () => {
    ended = true
    notify()
  })
  stream.on('error', (err) => {
    failure = err
    notify()
  })
  return {
    async *chunks() {
      for (;;) {
        const chunk = buffered.shift()
        if (chunk) {
          bytes -= chunk.length
          if (stream.isPaused() && bytes < READ_AHEAD_BYTES) stream.resume()
          yield chunk
        } else if (failure) throw failure
        else if (ended) return
        else await new Promise<void>((resolve) => (wake = resolve))
      }
    },
  }
}

/** Connections an export leaves free before it takes a second one, for the other long reads of the pool. */
const KEEP_FREE = 1

/**
 * Runs `COPY (…) TO STDOUT` statements and yields their output in statement order, on two connections:
 * while one statement's output goes to the caller, PostgreSQL already builds the next one's (read ahead
 * up to READ_AHEAD_BYTES). One backend building export lines was the export's bottleneck. The second
 * connection is taken only while the pool (the long reads' own) has room to spare.
 */
export async function* copyOut(pool: pg.Pool, statements: readonly string[]): AsyncGenerator<Buffer> {
  const clients: pg.PoolClient[] = []
  let finished = false
  try {
    clients.push(await pool.connect())
    const spare = pool.idleCount + (pool.options.max ?? 10) - pool.totalCount
    if (statements.length > 1 && pool.waitingCount === 0 && spare > KEEP_FREE)
      clients.push(await pool.connect())
    let next = statements.length > 0 ? start(clients[0]!, statements[0]!) : null
    for (let i = 0; next; i++) {
      const current = next
      next = i + 1 < statements.length ? start(clients[(i + 1) % clients.length]!, statements[i + 1]!) : null
      yield* current.chunks()
    }
    finished = true
  } finally {
    // A COPY the consumer abandoned may still be streaming on either connection: close them, never reuse them.
    for (const client of clients) client.release(!finished)
  }
}
