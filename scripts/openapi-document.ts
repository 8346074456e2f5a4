import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { openRuntime } from '../src/runtime.ts'

/** The OpenAPI document as served at /openapi.json, serialised deterministically. */
export async function buildOpenApiDocument(): Promise<string> {
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: 'memory://' })
  const runtime = await openRuntime(config)
  const app = await buildApp({ config, services: runtime.services })
  try {
    return `${JSON.stringify(app.swagger(), null, 2)}\n`
  } finally {
    await app.close()
    await runtime.close()
  }
}
