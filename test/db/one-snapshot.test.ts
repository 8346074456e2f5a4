/**
 * `Database#readOneSnapshot` (the trade report's two statements): on PostgreSQL the statements run on
 * several backends at once, and still all read the snapshot the first one exported, so a transaction
 * committed after it is in none of them, whichever connection runs them.
 */
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestApp, type TestApp, usingPostgres } from '../helpers/test-app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
  await t.runtime.database.db.execute(sql`create table snapshot_probe (n int)`)
})
afterAll(() => t.close())

interface Probe {
  rows: number
  pid: number
  work_mem: string
}
const probe = sql`select count(*)::int as rows, pg_backend_pid() as pid, current_setting('work_mem') as work_mem
  from snapshot_probe`
const commitRow = () => t.runtime.database.db.execute(sql`insert into snapshot_probe values (1)`)
const committed = async () => (await t.runtime.database.readOneSnapshot<Probe>([], [probe]))[0]![0]!.rows

it('gives every statement the rows committed before the first one, and the setup of its transaction', async () => {
  const before = await committed()
  let exported = 0
  const results = await t.runtime.database.readOneSnapshot<Probe>(
    [sql`set local work_mem = '5MB'`],
    [probe, probe],
    {
      // A row committed between the first transaction's snapshot and the second's start.
      exported: async () => {
        exported++
        await commitRow()
      },
    },
  )
  const [[a], [b]] = results as [[Probe], [Probe]]
  expect([a.rows, b.rows]).toEqual([before, before])
  expect([a.work_mem, b.work_mem]).toEqual(['5MB', '5MB'])
  if (usingPostgres) {
    // Two backends, the second importing the first's snapshot.
    expect(exported).toBe(1)
    expect(a.pid).not.toBe(b.pid)
    expect(await committed()).toBe(before + 1)
  } else expect(exported).toBe(0) // PGlite: one connection, one transaction
})

it.runIf(usingPostgres)(
  'runs what the long-read pool has no connection for on the first connection, in order',
  async () => {
    const before = await committed()
    // Hold all but one of the long-read pool's connections (2 × EXPORT_CONCURRENCY, 4 by default), which the
    // helpers leave free for exports.
    let open!: () => void
    const gate = new Promise<void>((resolve) => (open = resolve))
    const entered: Promise<void>[] = []
    const held: Promise<unknown>[] = []
    for (let i = 0; i < 2 * t.config.EXPORT_CONCURRENCY - 1; i++) {
      let enter!: () => void
      entered.push(new Promise<void>((resolve) => (enter = resolve)))
      held.push(
        t.runtime.database.exportDb.transaction(async () => {
          enter()
          await gate
        }),
      )
    }
    await Promise.all(entered)
    try {
      let exported = 0
      const statements = [probe, sql`select 2 as rows, pg_backend_pid() as pid, '' as work_mem`, probe]
      const results = await t.runtime.database.readOneSnapshot<Probe>([], statements, {
        exported: async () => {
          exported++
        },
      })
      expect(exported).toBe(0)
      expect(results.map((r) => r[0]!.rows)).toEqual([before, 2, before])
      expect(new Set(results.map((r) => r[0]!.pid)).size).toBe(1)
    } finally {
      open()
      await Promise.all(held)
    }
  },
)

it.runIf(usingPostgres)(
  'shares three statements among the connections and returns them in order',
  async () => {
    const before = await committed()
    const statements = [probe, sql`select 2 as rows, pg_backend_pid() as pid, '' as work_mem`, probe]
    const results = await t.runtime.database.readOneSnapshot<Probe>([], statements)
    expect(results.map((r) => r[0]!.rows)).toEqual([before, 2, before])
    expect(new Set(results.map((r) => r[0]!.pid)).size).toBe(3)
  },
)
