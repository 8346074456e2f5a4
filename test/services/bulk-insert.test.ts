import { PgDialect } from 'drizzle-orm/pg-core'
import { describe, expect, it } from 'vitest'
import { insertRowsSql, JsonText } from '../../src/db/bulk-insert.ts'
import { screenings } from '../../src/db/schema.ts'

const dialect = new PgDialect()
const row = {
  id: '0190a5e4-0000-7000-8000-000000000001',
  declarationId: 'D-1',
  direction: 'import',
  asOf: '2026-01-01',
  decision: 'ALLOW',
  registryVersion: '2024.1',
  actorKeyId: '0190a5e4-0000-7000-8000-000000000002',
  actor: { keyId: null, name: 'n', role: 'screener' },
  requestId: 'r',
  requestHash: 'h',
  organisation: 'default',
  actorOrganisation: 'default',
  auditSequence: 7,
}

describe('insertRowsSql', () => {
  it('sends each row as JSON, with JSON text spliced in unchanged', () => {
    const statement = insertRowsSql(screenings, [
      { ...row, actor: new JsonText('{"b":1,  "a":2}') as never },
    ])!
    const { params } = dialect.sqlToQuery(statement)
    expect(params).toHaveLength(1)
    expect(params[0]).toContain('"actor":{"b":1,  "a":2}')
    expect(JSON.parse(params[0] as string)[0]).toMatchObject({ id: row.id, auditSequence: 7 })
  })

  it('refuses a key that is not a column instead of shipping it unseen', () => {
    const stray = { ...row, response: { lines: [] } }
    expect(() => insertRowsSql(screenings, [stray])).toThrow(/screenings has no column response/)
  })

  it('is null for no rows', () => {
    expect(insertRowsSql(screenings, [])).toBeNull()
  })
})
