import { Writable } from 'node:stream'
import { sql } from 'drizzle-orm'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { LOG_SERIALIZERS } from '../../src/logger.ts'
import { cliActor } from '../../src/services/actor.ts'
import { type CommitItem, GroupCommitter } from '../../src/services/group-commit.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

describe('a failed batch', () => {
  it('is split in halves until the bad item fails alone, not retried one item at a time', async () => {
    const committer = new GroupCommitter(t.runtime.services.database.db, {
      flushMs: 50,
      maxBatch: 16,
      signer: t.runtime.services.signer,
    })
    const write = vi.spyOn(committer as unknown as { write: () => unknown }, 'write')
    // Item 5's row cannot be written (a cast PostgreSQL refuses), like a value the database cannot store.
    const stage: CommitItem['stage'] = (list) =>
      list.some(({ item }) => (item.event.payload as { n: number }).n === 5)
        ? [sql`select 'not a number'::int`]
        : []
    const items = Array.from({ length: 16 }, (_, n) =>
      committer.submit({
        event: { action: 'key.created', actor: cliActor(), subject: { keyId: `half-${n}` }, payload: { n } },
        stage,
      }),
    )
    const settled = await Promise.allSettled(items)
    expect(settled.map((s) => s.status)).toEqual(
      Array.from({ length: 16 }, (_, n) => (n === 5 ? 'rejected' : 'fulfilled')),
    )
    // 16 → 8 + 8 → 4 + 4 → 2 + 2 → 1 + 1 (plus the good halves once each): 9 statements, not 1 + 16.
    expect(write.mock.calls.length).toBeLessThanOrEqual(9)
    await committer.close()
  })
})

describe('logs', () => {
  it('never carry query parameters, such as the declarations of a failed batch', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk))
        done()
      },
    })
    const logged = await createTestApp({}, pino({ level: 'info', serializers: LOG_SERIALIZERS }, sink))
    try {
      // A screening batch the database refuses: its statement's parameter holds the declaration.
      await logged.runtime.services.database.db.execute(
        sql`create or replace function refuse() returns trigger language plpgsql as $$ begin raise exception 'refused'; end $$`,
      )
      await logged.runtime.services.database.db.execute(
        sql`create trigger refuse before insert on screenings for each row execute function refuse()`,
      )
      const res = await logged.app.inject({
        method: 'POST',
        url: '/v1/screenings',
        headers: await logged.auth('screener'),
        payload: {
          declaration: { id: 'SECRET-DECLARATION-4711', direction: 'import' },
          lines: [{ lineNo: 1, hsCode: '3907.99' }],
        },
      })
      expect(res.statusCode).toBe(503)
      const log = lines.join('')
      expect(log).toContain('refused')
      expect(log).not.toContain('SECRET-DECLARATION-4711')
    } finally {
      await logged.close()
    }
  })
})
