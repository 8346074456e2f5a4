import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import { afterEach, describe, expect, it } from 'vitest'
import { fillScreenedLines } from '../../scripts/fill-screened-lines.ts'
import { startAutoAnalyze } from '../../src/db/auto-analyze.ts'
import { openDatabase, queryRows } from '../../src/db/client.ts'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** What the planner believes a table holds: -1 until statistics were gathered (PostgreSQL 14 and later). */
const plannerRows = async (db: Awaited<ReturnType<typeof openDatabase>>['db'], table: string) =>
  Number(
    (
      await queryRows<{ n: number }>(
        db,
        sql`select reltuples::float8 as n from pg_class where relname = ${table}`,
      )
    )[0]?.n,
  )

// PGlite has no autovacuum: without the ANALYZE at start a table that grew is planned as an empty one.
describe.skipIf(Boolean(process.env.DATABASE_URL))('the embedded database', () => {
  it('gathers the planner statistics of its tables when it opens a data directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'popscreen-stats-'))
    dirs.push(dir)
    const first = await openDatabase({ dataDir: dir })
    await first.migrate()
    await fillScreenedLines(first.db, 2_000, { year: 2025 })
    expect(await plannerRows(first.db, 'screening_lines')).toBeLessThan(0)
    await first.close()

    const reopened = await openDatabase({ dataDir: dir })
    try {
      expect(await plannerRows(reopened.db, 'screening_lines')).toBe(2_000)
    } finally {
      await reopened.close()
    }
  }, 60_000)

  it('gathers them again while it runs, once a table changed by more than autovacuum would allow', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'popscreen-stats-'))
    dirs.push(dir)
    const database = await openDatabase({ dataDir: dir, autoAnalyzeMs: 200 })
    try {
      await database.migrate()
      // Statistics taken when it opened: the migrated tables are empty.
      expect(await plannerRows(database.db, 'screening_lines')).toBeLessThan(1)
      await fillScreenedLines(database.db, 2_000, { year: 2025 })
      // PGlite flushes its change counters at most once a second, after a statement.
      const deadline = Date.now() + 20_000
      while ((await plannerRows(database.db, 'screening_lines')) < 2_000 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 250))
      expect(await plannerRows(database.db, 'screening_lines')).toBe(2_000)
      expect(await plannerRows(database.db, 'screenings')).toBeGreaterThan(0)
    } finally {
      await database.close()
    }
  }, 60_000)

  it('reports a failed run and keeps trying', async () => {
    const client = await PGlite.create()
    await client.close()
    const errors: string[] = []
    const auto = startAutoAnalyze(client, 20, (err) => errors.push(err.message))
    try {
      await expect.poll(() => errors.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2)
      expect(errors[0]).toMatch(/closed/i)
    } finally {
      await auto.stop()
    }
  })
})
