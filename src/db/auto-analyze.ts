import type { PGlite } from '@electric-sql/pglite'

/**
 * The tables whose rows changed enough since their last ANALYZE, by PostgreSQL's own autovacuum rule
 * (`autovacuum_analyze_threshold` 50 plus `autovacuum_analyze_scale_factor` 0.1 of the rows the planner
 * believes the table holds; -1, never analysed, counts as 0).
 */
const STALE_TABLES = `
  select format('%I.%I', s.schemaname, s.relname) as name
  from pg_stat_user_tables s join pg_class c on c.oid = s.relid
  where s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)
  order by s.n_mod_since_analyze desc`

export interface AutoAnalyze {
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>
}

/**
 * PGlite has no autovacuum, so nothing gathers planner statistics while a server runs: a table that grew
 * tenfold since the server started was planned at the size it had then (the decision log's pages then cost
 * ten times more, see client.ts). Every `intervalMs` this does what autovacuum would: ANALYZE each table
 * past PostgreSQL's threshold. PGlite's cumulative statistics count the changed rows (flushed at most once
 * a second, as PostgreSQL's are). ANALYZE reads a sample of at most 30,000 rows per table and holds the one
 * connection while it does.
 */
export function startAutoAnalyze(
  client: PGlite,
  intervalMs: number,
  onError: (err: Error) => void,
): AutoAnalyze {
  let running: Promise<void> | null = null
  const run = async () => {
    const { rows } = await client.query<{ name: string }>(STALE_TABLES)
    for (const { name } of rows) await client.exec(`analyze ${name}`)
  }
  const timer = setInterval(() => {
    // A run that outlasts the interval (a very large table) is not started twice.
    running ??= run()
      .catch((err: Error) => onError(err))
      .finally(() => {
        running = null
      })
  }, intervalMs)
  timer.unref()
  return {
    stop: async () => {
      clearInterval(timer)
      await running
    },
  }
}
