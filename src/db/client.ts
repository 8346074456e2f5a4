import { mkdirSync } from 'node:fs'
import type { PGlite } from '@electric-sql/pglite'
import type { SQL } from 'drizzle-orm'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import pg from 'pg'
import { projectFile } from '../project-files.ts'
import { type AutoAnalyze, startAutoAnalyze } from './auto-analyze.ts'
import { MarkingClient } from './connect-failure.ts'
import { copyOut } from './copy-out.ts'
import { type LockOwner, lockDataDir } from './data-dir-lock.ts'
import { type ChannelHandlers, type Listener, listen } from './listener.ts'
import { type OneSnapshotHooks, readOneSnapshot } from './one-snapshot.ts'
import * as schema from './schema.ts'
import { grantServiceRole } from './service-role.ts'

export const MIGRATIONS_FOLDER = projectFile('migrations')
/** Serialises migrations between processes sharing one PostgreSQL server. */
const MIGRATION_LOCK_KEY = 7_417_001

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>
/** A transaction handle; it offers the same query API as Db. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
export type Queryable = Db | Tx

export interface Database {
  readonly db: Db
  /**
   * The same database for long reads (exports, verification, impact): on PostgreSQL a pool of its own,
   * so a slow export never holds a connection a screening needs; on PGlite the one connection.
   */
  readonly exportDb: Db
  readonly driver: 'pg' | 'pglite'
  /** Round trip to the server; throws when it does not answer. */
  ping(): Promise<void>
  /** Applies the committed migrations; several processes may call it at once. */
  migrate(): Promise<void>
  /**
   * Runs `COPY (…) TO STDOUT` statements and yields their raw output in order: bytes go from PostgreSQL
   * to the caller without a row ever becoming a JavaScript value. PostgreSQL only (PGlite has no COPY TO
   * STDOUT stream).
   */
  copyOut?(statements: readonly string[]): AsyncGenerator<Buffer>
  /**
   * LISTENs on a channel over a connection of its own that reconnects (PostgreSQL only: other instances
   * share the database there; a PGlite directory has one process).
   */
  listen?(channel: string, handlers: ChannelHandlers): Promise<Listener>
  /**
   * Runs read-only statements as of one moment, each after `setup` (SET LOCAL …) in its transaction, and
   * returns their rows in statement order. PostgreSQL: at the same time on several backends reading one
   * exported snapshot, the first on a connection of the main pool, the others on connections the long-read
   * pool has to spare (see `readOneSnapshot`). PGlite: one after the other in one transaction.
   */
  readOneSnapshot<T>(
    setup: readonly SQL[],
    statements: readonly SQL[],
    hooks?: OneSnapshotHooks,
  ): Promise<T[][]>
  /** PGlite: the owner of a stale DATA_DIR lock this process took over (it died without releasing it). */
  readonly staleLockOwner?: LockOwner | null
  close(): Promise<void>
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined
  /**
   * The tables' owner, for migrations (PostgreSQL): then `databaseUrl` may be a role that only reads and
   * adds rows, which the migration grants its privileges (see service-role.ts). Unset: `databaseUrl`.
   */
  migrationUrl?: string | undefined
  /** PGlite directory; `memory://` keeps it in memory (tests). */
  dataDir: string
  poolSize?: number
  /** Connections of the long-read pool (PostgreSQL). */
  exportPoolSize?: number
  onPoolError?: (err: Error) => void
  /**
   * PGlite with a data directory: how often to look for tables to ANALYZE (auto-analyze.ts). Default
   * 60 s, autovacuum's own `autovacuum_naptime`.
   */
  autoAnalyzeMs?: number
}

/**
 * drizzle-orm 0.45 sends BEGIN before entering its try/finally, so a BEGIN on a connection the server
 * has just closed never releases the client, and a handful of those exhaust the pool for good (found by
 * the pg_terminate_backend fault test). Here every transaction runs on a client that is always released;
 * the pool then discards it if its connection broke.
 */
function releasingTransactions(pool: pg.Pool): Db['transaction'] {
  const perClient = new WeakMap<pg.PoolClient, Db>()
  return async (run, config) => {
    const client = await pool.connect()
    try {
      let db = perClient.get(client)
      if (!db) {
        db = drizzlePg(client, { schema }) as unknown as Db
        perClient.set(client, db)
      }
      return await db.transaction(run, config)
    } finally {
      client.release()
    }
  }
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      // A refused connection is a database that cannot serve (503), whatever its SQLSTATE.
      Client: MarkingClient,
    })
    // A client that loses its connection must not crash the process. The pool listens on idle clients
    // only; a checked-out client between two queries of a transaction needs its own listener. Its
    // pending query fails (503), and the pool discards it on release because it is no longer queryable.
    pool.on('error', (err) => options.onPoolError?.(err))
    pool.on('connect', (client) => client.on('error', (err) => options.onPoolError?.(err)))
    const db = drizzlePg(pool, { schema }) as unknown as Db
    db.transaction = releasingTransactions(pool)
    // Ten exports read slowly held all ten connections of one shared pool (each COPY pauses while its
    // client reads), and every screening then waited 5 s for a connection and answered 503.
    const exportPool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.exportPoolSize ?? 4,
      connectionTimeoutMillis: 5_000,
      Client: MarkingClient,
    })
    exportPool.on('error', (err) => options.onPoolError?.(err))
    exportPool.on('connect', (client) => client.on('error', (err) => options.onPoolError?.(err)))
    const exportDb = drizzlePg(exportPool, { schema }) as unknown as Db
    return {
      db,
      exportDb,
      driver: 'pg',
      ping: async () => {
        await pool.query('select 1')
      },
      migrate: async () => {
        // drizzle's migrator takes no lock, so two servers starting together could both apply a migration.
        const client = new pg.Client({ connectionString: options.migrationUrl ?? options.databaseUrl })
        await client.connect()
        try {
          await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
          await migratePg(drizzlePg(client), { migrationsFolder: MIGRATIONS_FOLDER })
          // In one transaction: an instance running meanwhile never sees its grants half replaced.
          await client.query('begin')
          await grantServiceRole(client, options.databaseUrl!)
          await client.query('commit')
        } finally {
          await client.end()
        }
      },
      readOneSnapshot: <T>(setup: readonly SQL[], statements: readonly SQL[], hooks?: OneSnapshotHooks) =>
        readOneSnapshot<T>(pool, exportPool, setup, statements, hooks),
      copyOut: (statements) => copyOut(exportPool, statements),
      listen: (channel, handlers) =>
        listen(options.databaseUrl!, channel, handlers, (err) => options.onPoolError?.(err)),
      close: async () => {
        await Promise.all([pool.end(), exportPool.end()])
      },
    }
  }
  // Loaded only for the embedded database: a server on PostgreSQL never holds PGlite's code.
  const [{ PGlite: Embedded }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ])
  const inMemory = options.dataDir === 'memory://'
  if (!inMemory) mkdirSync(options.dataDir, { recursive: true })
  // Before PGlite touches the files: a second process must stop here, not after it read them (§10).
  const lock = inMemory ? null : lockDataDir(options.dataDir)
  let client: PGlite
  let autoAnalyze: AutoAnalyze | null = null
  try {
    client = await Embedded.create(inMemory ? undefined : options.dataDir)
    // PGlite has no autovacuum, so nothing ever gathers the planner's statistics: a table that grew since
    // it was made is planned as the empty table it was. Gathered at every start (a sample of each table):
    // the XLSX decision log of 50,000 lines took 6.5 s without them and 3 s with them, in pages of 100
    // rows 65 s against 4 s. A database in memory starts empty: nothing to gather. While the server runs,
    // auto-analyze.ts keeps them as autovacuum would.
    if (!inMemory) {
      await client.exec('analyze')
      autoAnalyze = startAutoAnalyze(client, options.autoAnalyzeMs ?? 60_000, (err) =>
        options.onPoolError?.(err),
      )
    }
  } catch (err) {
    lock?.release()
    throw err
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db
  return {
    db,
    exportDb: db,
    driver: 'pglite',
    staleLockOwner: lock?.tookOver ?? null,
    ping: async () => {
      await client.query('select 1')
    },
    migrate: () => migratePglite(drizzlePglite(client), { migrationsFolder: MIGRATIONS_FOLDER }),
    readOneSnapshot: <T>(setup: readonly SQL[], statements: readonly SQL[]) =>
      db.transaction(async (tx) => {
        for (const s of setup) await tx.execute(s)
        const rows: T[][] = []
        for (const s of statements) rows.push(await queryRows<T>(tx, s))
        return rows
      }),
    close: async () => {
      try {
        await autoAnalyze?.stop()
        await client.close()
      } finally {
        lock?.release()
      }
    },
  }
}

/** Runs raw SQL and returns its rows; both drivers answer with a `rows` array. */
export async function queryRows<T>(q: Queryable, query: SQL): Promise<T[]> {
  const result = (await q.execute(query)) as unknown as { rows: T[] }
  return result.rows
}
