import { getTableColumns, getTableName, type SQL, sql } from 'drizzle-orm'
import type { PgTable } from 'drizzle-orm/pg-core'

/** A value that is JSON text already: spliced into the rows' JSON as it is, not serialised again. */
export class JsonText {
  constructor(readonly text: string) {}
}

const json = JSON.stringify

/**
 * The rows as one JSON array. A row without JSON text is one JSON.stringify (per-member calls cost more
 * than the rest of a batch's JSON); JSON text members are appended after the others, whose order
 * json_to_recordset does not mind.
 */
function rowsJson(rows: readonly Record<string, unknown>[]): string {
  const row = (r: Record<string, unknown>) => {
    let spliced = ''
    let plain: Record<string, unknown> | null = null
    for (const k in r) {
      const v = r[k]
      if (v instanceof JsonText) {
        if (!plain) {
          plain = {}
          for (const other in r) if (!(r[other] instanceof JsonText)) plain[other] = r[other]
        }
        spliced += `,${json(k)}:${v.text}`
      }
    }
    if (!plain) return json(r)
    const head = json(plain)
    return head === '{}' ? `{${spliced.slice(1)}}` : `${head.slice(0, -1)}${spliced}}`
  }
  return `[${rows.map(row).join(',')}]`
}

/**
 * INSERT … SELECT FROM json_to_recordset($1): all rows travel as one JSON parameter, so the statement
 * and its cost of building stay the same whatever the number of rows. The hot path (a batch of
 * screenings and their audit events) spent more time in the query builder's per-value work than in
 * PostgreSQL. Column names and types come from the drizzle table; the columns written are the keys of
 * the first row, each of which must be a column (the others take their defaults). Dates travel as ISO
 * strings, JSON values as JSON; a `json` column receives its value's text exactly as sent (`json`, not
 * `jsonb`, parses the rows). `where` filters the whole statement (it may not refer to the rows). Null
 * when there are no rows.
 */
export function insertRowsSql<T extends PgTable>(
  table: T,
  rows: readonly { [K in keyof T['$inferInsert']]: T['$inferInsert'][K] | JsonText }[],
  where?: SQL,
): SQL | null {
  const first = rows[0]
  if (!first) return null
  const columns = getTableColumns(table)
  const keys = Object.keys(first)
  // A key that is no column would still travel in every row's JSON, unseen by PostgreSQL: refuse it.
  const stray = keys.find((k) => !(k in columns))
  if (stray) throw new Error(`insertRowsSql: ${getTableName(table)} has no column ${stray}`)
  const target = keys.map((k) => `"${columns[k]!.name}"`).join(', ')
  const source = keys.map((k) => `"${k}"`).join(', ')
  const record = keys.map((k) => `"${k}" ${columns[k]!.getSQLType()}`).join(', ')
  return sql`insert into ${sql.identifier(getTableName(table))} (${sql.raw(target)}) select ${sql.raw(source)} from json_to_recordset(${rowsJson(rows)}::json) as r(${sql.raw(record)})${where ? sql` where ${where}` : sql``}`
}
