/**
 * Migration 0009: audit payloads are compressed with lz4 where the database has it (PostgreSQL built with
 * lz4, as Debian's and the official images are), and the migration still applies where it has not (PGlite,
 * pglz only). Either way the payload reads back as the text that was hashed.
 */
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows } from '../../src/db/client.ts'
import { createTestApp, screenAsOfficer, type TestApp, usingPostgres } from '../helpers/test-app.ts'

describe('audit payload compression', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(() => t.close())

  it(`stores a long payload ${usingPostgres ? 'compressed with lz4' : 'with the database default (pglz)'} and reads it back unchanged`, async () => {
    const lines = Array.from({ length: 40 }, (_, i) => ({
      lineNo: i + 1,
      hsCode: '2908110000',
      casNumbers: ['87-86-5'],
      description: `五氯苯酚 pentachlorophenol, lot ${i}`,
    }))
    const answer = await screenAsOfficer(t, {
      declaration: { id: 'COMPRESS-1', direction: 'import' },
      lines,
    })
    const db = t.runtime.database.db
    const [row] = await queryRows<{ method: string | null; stored: number; text: number; hash: string }>(
      db,
      sql`select pg_column_compression(payload) as method, pg_column_size(payload) as stored,
        octet_length(payload::text) as text, hash from audit_events where sequence = ${answer.audit.sequence}`,
    )
    // Long enough for TOAST to compress it: well past its 2 KB threshold, and stored smaller than written.
    expect(row!.text).toBeGreaterThan(8_000)
    expect(row!.stored).toBeLessThan(row!.text)
    expect(row!.method).toBe(usingPostgres ? 'lz4' : 'pglz')
    const [column] = await queryRows<{ compression: string }>(
      db,
      sql`select attcompression as compression from pg_attribute
        where attrelid = 'audit_events'::regclass and attname = 'payload'`,
    )
    expect(column!.compression).toBe(usingPostgres ? 'l' : '')
    const verify = await t.app.inject({
      method: 'GET',
      url: '/v1/audit/verify',
      headers: await t.auth('auditor'),
    })
    expect(verify.json().ok).toBe(true)
  })
})
