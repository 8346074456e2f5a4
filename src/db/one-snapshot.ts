import type { SQL } from 'drizzle-orm'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import type pg from 'pg'

/** Connections of the long-read pool the helpers leave free, for the exports (as `copyOut` does). */
const KEEP_FREE = 1

export interface OneSnapshotHooks {
  /**
   * Tests: called once the first transaction has exported its snapshot and before any other connection
   * begins its transaction (only when statements do run on other connections).
   */
  exported?: () => Promise<void>
}

const BEGIN = 'begin isolation level repeatable read, read only'

async function run<T>(client: pg.PoolClient, setup: readonly SQL[], statements: readonly SQL[]) {
  const db = drizzlePg(client)
  for (const s of setup) await db.execute(s)
  const rows: T[][] = []
  for (const s of statements) rows.push(((await db.execute(s)) as unknown as { rows: T[] }).rows)
  return rows
}

/**
 * PostgreSQL: runs read-only statements at the same time on several backends, all reading one snapshot
 * (what `pg_dump -j` does). The first statement runs on a connection of `pool` in a REPEATABLE READ
 * transaction that exports its snapshot with `pg_export_snapshot()`; each further one, while `helpers`
 * (the long-read pool) has a connection to spare, on a connection of its own whose REPEATABLE READ
 * transaction imports that snapshot (`set transaction snapshot`) before its first query, while the
 * first transaction is still open (as it must be). The statements a helper cannot take run after the
 * first on its connection, in its transaction. So every statement sees the same committed rows: a
 * transaction committed meanwhile is in none of them. `setup` (SET LOCAL …) runs in each transaction.
 * Returns each statement's rows, in order.
 */
export async function readOneSnapshot<T>(
  pool: pg.Pool,
  helpers: pg.Pool,
  setup: readonly SQL[],
  statements: readonly SQL[],
  hooks: OneSnapshotHooks = {},
): Promise<T[][]> {
  if (statements.length === 0) return []
  const clients: pg.PoolClient[] = []
  let failed: unknown = null
  try {
    const first = await pool.connect()
    clients.push(first)
    await first.query(BEGIN)
    const spare = helpers.idleCount + (helpers.options.max ?? 10) - helpers.totalCount - KEEP_FREE
    const others = helpers.waitingCount === 0 ? Math.max(0, Math.min(statements.length - 1, spare)) : 0
    if (others > 0) {
      const { rows } = await first.query<{ id: string }>('select pg_export_snapshot() as id')
      const snapshot = first.escapeLiteral(rows[0]!.id)
      await hooks.exported?.()
      for (let i = 0; i < others; i++) clients.push(await helpers.connect())
      await Promise.all(
        clients.slice(1).map(async (c) => {
          await c.query(BEGIN)
          await c.query(`set transaction snapshot ${snapshot}`)
        }),
      )
    }
    // Statement k runs on connection k while there are connections; the rest on the first, after its own.
    const plan = clients.map((_, k) => (k === 0 ? [0, ...[...statements.keys()].slice(clients.length)] : [k]))
    const settled = await Promise.allSettled(
      clients.map((c, k) =>
        run<T>(
          c,
          setup,
          plan[k]!.map((i) => statements[i]!),
        ),
      ),
    )
    const failure = settled.find((r) => r.status === 'rejected')
    if (failure) throw failure.reason
    await Promise.all(clients.map((c) => c.query('commit')))
    const results: T[][] = []
    settled.forEach((r, k) => {
      plan[k]!.forEach((i, j) => {
        results[i] = (r as PromiseFulfilledResult<T[][]>).value[j]!
      })
    })
    return results
  } catch (err) {
    failed = err
    throw err
  } finally {
    // A connection whose transaction failed part-way is closed rather than reused in an unknown state.
    for (const c of clients) c.release(failed !== null)
  }
}
