import type { Config } from './config.ts'
import { type Database, openDatabase } from './db/client.ts'
import { createServices, type LeftOut, type Services } from './services/index.ts'
import { KEY_REVOKED_CHANNEL } from './services/key-service.ts'

export interface Runtime {
  database: Database
  services: Services
  close(): Promise<void>
}

/** Opens the database the configuration selects, migrates it, seeds the registry and wires the services. */
export async function openRuntime(
  config: Config,
  onPoolError?: (err: Error) => void,
  /** Only the bench's comparison builds leave anything out. */
  leftOut?: ReadonlySet<LeftOut>,
): Promise<Runtime> {
  const database = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    migrationUrl: config.MIGRATION_DATABASE_URL,
    dataDir: config.DATA_DIR,
    poolSize: config.PG_POOL_SIZE,
    exportPoolSize: 2 * config.EXPORT_CONCURRENCY,
    onPoolError,
  })
  try {
    if (config.MIGRATE_ON_START) await database.migrate()
    const services = await createServices(database, config, leftOut)
    // Revocations by other instances on the same PostgreSQL database reach this one's key cache at once.
    const revocations = await database.listen?.(KEY_REVOKED_CHANNEL, {
      onMessage: (keyHash) => services.keys.forget(keyHash),
      onConnect: () => services.keys.forgetAll(),
    })
    return {
      database,
      services,
      close: async () => {
        await revocations?.close()
        services.registry.stopPolling()
        await services.committer.close()
        await database.close()
      },
    }
  } catch (err) {
    await database.close().catch(() => {})
    throw err
  }
}
