import { getTableColumns, getTableName, type SQL, sql } from 'drizzle-orm'
import type { PgTable } from 'drizzle-orm/pg-core'

/** A value that is JSON text already: spliced into the rows' JSON as it is, not serialised again. */
export class JsonText {
  constructor(readonly text: string) {}
  /** Serialised by anything but `rowsJson` it would become a quoted object, not the text: refuse loudly. */
  toJSON(): never {
    throw new Error('JsonText is spliced by insertRowsSql; it has no JSON form of its own')
  }
}

const json = JSON.stringify

/**
 * The rows as one JSON array. The members holding JSON text are those of the first row; without any, the
 * array is one JSON.stringify (a batch's fact rows: examining each member of each row in JS cost as much
 * as serialising them). A JsonText elsewhere throws rather than being quoted. With them, each row is its
 * other members' JSON with the texts appended, in an order json_to_recordset does not mind.
 */
function rowsJson(rows: readonly Record<string, unknown>[]): string {
  const first = rows[0]!
  const textKeys = Object.keys(first).filter((k) => first[k] instanceof JsonText)
  if (textKeys.length === 0) return json(rows)
  const row = (r: Record<string, unknown>) => {
    const plain: Record<string, unknown> = { ...r }
    let spliced = ''
    for (const k of textKeys) {
      const v = r[k]
      spliced += `,${json(k)}:${v instanceof JsonText ? v.text : json(v)}`
      // JSON.stringify leaves out members whose value is undefined.
      plain[k] = undefined
    }
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
