import { sql } from 'drizzle-orm'
import type { Queryable } from './client.ts'

export type BulkColumnType = 'bigint' | 'text' | 'uuid' | 'date' | 'timestamptz' | 'jsonb'

/**
 * INSERT … SELECT FROM jsonb_to_recordset($1): all rows travel as one JSON parameter, so the statement
 * and its cost of building stay the same whatever the number of rows, and jsonb values are not escaped
 * twice. The hot path (a batch of screenings and their audit events) spent more time in the query
 * builder's per-value work and in array-literal escaping than in PostgreSQL.
 */
export async function bulkInsert(
  db: Queryable,
  table: string,
  columns: Record<string, BulkColumnType>,
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  const names = Object.keys(columns)
  const list = names.map((n) => `"${n}"`).join(', ')
  const record = names.map((n) => `"${n}" ${columns[n]}`).join(', ')
  await db.execute(
    sql`insert into ${sql.identifier(table)} (${sql.raw(list)}) select ${sql.raw(list)} from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(${sql.raw(record)})`,
  )
}
