import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.ts'
import { ConfigError, loadConfig } from './config.ts'
import { DataDirInUseError } from './db/data-dir-lock.ts'
import { openRuntime } from './runtime.ts'
import { bootstrapAdminKey } from './services/bootstrap-key.ts'

async function main(): Promise<void> {
  const config = loadConfig()
  const runtime = await openRuntime(config, (err) =>
    console.error('database error (pooled connection or background ANALYZE):', err.message),
  )
  const app = await buildApp({ config, services: runtime.services })
  runtime.services.registry.startPolling(config.REGISTRY_POLL_MS, (err) =>
    app.log.warn({ err }, 'registry refresh failed'),
  )
  runtime.services.webhookWorker.start(app.log)

  closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    app.drain()
    // close() stops accepting, waits for in-flight requests, then flushes the audit writer (onClose).
    await app.close()
    await runtime.close()
  })

  if (runtime.database.staleLockOwner)
    app.log.warn(
      { dataDir: config.DATA_DIR, previousOwner: runtime.database.staleLockOwner },
      'took over the DATA_DIR lock of a process that ended without releasing it (crash or kill -9)',
    )
  const generated = runtime.services.signingKeyGenerated
  if (generated)
    app.log.warn(
      { keyId: runtime.services.signer.key.keyId, file: generated },
      generated === 'memory'
        ? 'audit checkpoints are signed with a key that lives only as long as this process (DATA_DIR=memory://)'
        : `generated the audit checkpoint signing key into ${generated}; production keeps it outside DATA_DIR ` +
            'and outside the database host (AUDIT_SIGNING_KEY_FILE or AUDIT_SIGNING_KEY), or whoever can ' +
            'rewrite the database can also re-sign it',
    )
  // Embedded mode only: on PostgreSQL the CLI makes keys beside running servers, and several instances
  // starting together would each make one.
  const bootstrap =
    runtime.database.driver === 'pglite' && config.DATA_DIR !== 'memory://'
      ? await bootstrapAdminKey(runtime.services.keys, config.DATA_DIR)
      : null
  if (bootstrap)
    app.log.warn(
      { keyId: bootstrap.key.id, file: bootstrap.path },
      `no API key existed: made an admin key, its secret is in ${bootstrap.path} (readable by its owner only); ` +
        'make your own keys with it (POST /v1/keys), then revoke it and delete the file',
    )
  await app.listen({ port: config.PORT, host: config.HOST })
  const metricsAddress = await app.metricsApp.listen({ port: config.METRICS_PORT, host: config.METRICS_HOST })
  app.log.info(
    {
      database: runtime.database.driver,
      registryVersion: runtime.services.registry.current()?.version,
      docs: `http://${config.HOST}:${config.PORT}/docs`,
      metrics: `${metricsAddress}/metrics`,
    },
    'popscreen ready',
  )
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof DataDirInUseError) console.error(err.message)
  else console.error('popscreen failed to start:', err)
  process.exit(1)
})
