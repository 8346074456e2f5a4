import type pg from 'pg'

/**
 * What the service's database role may do, when it is not the role that owns the tables (issue 22): the
 * service runs as a role that can read and add rows but not change the audit trail, so a flaw in the
 * service (or its stolen password) cannot rewrite history, disable the append-only triggers or drop a
 * table. Migrations run as the owner (MIGRATION_DATABASE_URL), which then applies these grants; they are
 * applied again after every migration, so a new table is readable and writable at once.
 *
 * Every table: SELECT and INSERT. No role but the owner may UPDATE, DELETE or TRUNCATE anything, except
 * the columns below, which the service changes after writing a row. A new table whose rows the service
 * updates gets its columns listed here, or the service fails on it with "permission denied".
 */
export const SERVICE_UPDATES: Readonly<Record<string, readonly string[]>> = {
  // Revocation, and the minute-resolution "last used" time.
  api_keys: ['revoked_at', 'last_used_at'],
  // Activating a version deactivates the previous one.
  registry_versions: ['active', 'activated_at', 'activated_by'],
  // Resolving a case (which also locks its row: SELECT … FOR UPDATE needs an UPDATE grant).
  review_cases: [
    'status',
    'outcome',
    'reason_code',
    'note',
    'decided_by',
    'resolved_at',
    'resolution_sequence',
  ],
}

/** The statements that give `role` exactly the service's privileges in schema public (idempotent). */
export function serviceRoleGrants(role: string, escapeIdentifier: (s: string) => string): string[] {
  const r = escapeIdentifier(role)
  return [
    `GRANT USAGE ON SCHEMA public TO ${r}`,
    // REFERENCES and TRIGGER would let the role attach its own trigger or key to the owner's tables.
    `REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${r}`,
    `GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO ${r}`,
    ...Object.entries(SERVICE_UPDATES).map(
      ([table, columns]) =>
        `GRANT UPDATE (${columns.map(escapeIdentifier).join(', ')}) ON ${escapeIdentifier(table)} TO ${r}`,
    ),
  ]
}

/** The user name a postgres:// URL connects as (libpq's default, the OS user, is not guessed: null). */
export function userOfUrl(url: string): string | null {
  const user = decodeURIComponent(new URL(url).username)
  return user === '' ? null : user
}

/**
 * After migrating as the owner: grants the service role (DATABASE_URL's user) its privileges, unless it
 * is the owner itself (a single-role installation, as before).
 */
export async function grantServiceRole(owner: pg.ClientBase, serviceUrl: string): Promise<string | null> {
  const role = userOfUrl(serviceUrl)
  const [{ current_user: current } = { current_user: '' }] = (
    await owner.query<{ current_user: string }>('select current_user')
  ).rows
  if (!role || role === current) return null
  for (const statement of serviceRoleGrants(role, (s) => owner.escapeIdentifier(s)))
    await owner.query(statement)
  return role
}
