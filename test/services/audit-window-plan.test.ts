import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sealEvents } from '../../src/core/audit-chain.ts'
import { queryRows } from '../../src/db/client.ts'
import { cliActor } from '../../src/services/actor.ts'
import { insertEvents, readTail, windowSource } from '../../src/services/audit-log.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

describe('an export window', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
    const { db } = t.runtime.services.database
    // A log never analysed, as a fresh or fast-growing one is: one action everywhere, no statistics.
    let tail = await readTail(db)
    for (let batch = 0; batch < 10; batch++) {
      const events = sealEvents(
        Array.from({ length: 5_000 }, (_, i) => ({
          action: 'screening.created' as const,
          actor: cliActor(),
          subject: { screeningId: `${batch}-${i}` },
          decision: 'ALLOW',
          payload: { n: i },
        })),
        tail,
        new Date().toISOString(),
      )
      await insertEvents(db, events)
      tail = events[events.length - 1]!
    }
  }, 120_000)
  afterAll(() => t.close())

  it('is read by its sequence range, never through the action index', async () => {
    const plan = (
      await queryRows<{ 'QUERY PLAN': string }>(
        t.runtime.services.database.db,
        sql`explain select sequence from ${windowSource({ action: 'screening.created', decision: 'ALLOW' }, [25_000, 27_000])} order by sequence`,
      )
    )
      .map((r) => r['QUERY PLAN'])
      .join('\n')
    expect(plan).toContain('audit_events_pkey')
    expect(plan).not.toContain('audit_events_action_idx')
  })
})
