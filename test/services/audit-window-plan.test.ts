import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appendLog } from '../../scripts/append-log.ts'
import { queryRows } from '../../src/db/client.ts'
import { cliActor } from '../../src/services/actor.ts'
import { windowSource } from '../../src/services/audit-log.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

describe('an export window', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
    // A log never analysed, as a fresh or fast-growing one is: one action everywhere, no statistics.
    await appendLog(t.runtime.services.database.db, 50_000, (n) => ({
      action: 'screening.created',
      actor: cliActor(),
      subject: { screeningId: `plan-${n}` },
      decision: 'ALLOW',
      payload: { n },
    }))
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
