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

  it('splices the JSON-text members of the first row in every row, serialising plain values there', () => {
    const statement = insertRowsSql(screenings, [
      { ...row, actor: new JsonText('{"name":"first"}') as never },
      { ...row, id: 'second', actor: { keyId: null, name: 'plain', role: 'screener' } },
    ])!
    const [first, second] = JSON.parse(dialect.sqlToQuery(statement).params[0] as string)
    expect(first.actor).toEqual({ name: 'first' })
    expect(second).toMatchObject({ id: 'second', actor: { name: 'plain' }, auditSequence: 7 })
  })

  it('refuses JSON text where the first row has none, rather than sending it quoted', () => {
    expect(() =>
      insertRowsSql(screenings, [row, { ...row, actor: new JsonText('{"a":1}') as never }]),
    ).toThrow(/JsonText is spliced by insertRowsSql/)
  })

  it('refuses a key that is not a column instead of shipping it unseen', () => {
    const stray = { ...row, response: { lines: [] } }
    expect(() => insertRowsSql(screenings, [stray])).toThrow(/screenings has no column response/)
  })

  it('is null for no rows', () => {
    expect(insertRowsSql(screenings, [])).toBeNull()
  })
})
