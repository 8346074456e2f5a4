import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.ts'
import { ConfigError, loadConfig } from './config.ts'
import { openRuntime } from './runtime.ts'

async function main(): Promise<void> {
  const config = loadConfig()
  const runtime = await openRuntime(config, (err) => console.error('database pool error:', err.message))
  const app = await buildApp({ config, services: runtime.services })
  runtime.services.registry.startPolling(config.REGISTRY_POLL_MS, (err) =>
    app.log.warn({ err }, 'registry refresh failed'),
  )

  closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    app.drain()
    // close() stops accepting, waits for in-flight requests, then flushes the audit writer (onClose).
    await app.close()
    await runtime.close()
  })

  await app.listen({ port: config.PORT, host: config.HOST })
  app.log.info(
    {
      database: runtime.database.driver,
      registryVersion: runtime.services.registry.current()?.version,
      docs: `http://${config.HOST}:${config.PORT}/docs`,
    },
    'popscreen ready',
  )
}

main().catch((err) => {
  if (err instanceof ConfigError) console.error(err.message)
  else console.error('popscreen failed to start:', err)
  process.exit(1)
})
