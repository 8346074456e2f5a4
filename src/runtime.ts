import type { Config } from './config.ts'
import { type Database, openDatabase } from './db/client.ts'
import { createServices, type LeftOut, type Services } from './services/index.ts'

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
    dataDir: config.DATA_DIR,
    poolSize: config.PG_POOL_SIZE,
    exportPoolSize: 2 * config.EXPORT_CONCURRENCY,
    onPoolError,
  })
  try {
    await database.migrate()
    const services = await createServices(database, config, leftOut)
    return {
      database,
      services,
      close: async () => {
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
