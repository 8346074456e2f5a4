import { randomBytes } from 'node:crypto'
import { scratchDatabase } from '../../scripts/server-process.ts'
import { buildApp } from '../../src/app.ts'
import { type Config, loadConfig } from '../../src/config.ts'
import { openRuntime, type Runtime } from '../../src/runtime.ts'
import type { Role } from '../../src/services/actor.ts'
import { cliActor } from '../../src/services/actor.ts'
import { openApiViolation } from './openapi-responses.ts'

export const usingPostgres = Boolean(process.env.DATABASE_URL)

/**
 * A database of the driver the environment selects: in-memory PGlite, or with DATABASE_URL a fresh
 * database on that server, dropped again by `drop()`.
 */
async function freshDatabaseUrl(): Promise<{ url: string | undefined; drop(): Promise<void> }> {
  const base = process.env.DATABASE_URL
  if (!base) return { url: undefined, drop: async () => {} }
  return scratchDatabase(base, `popscreen_t_${randomBytes(6).toString('hex')}`)
}

export interface TestApp {
  app: Awaited<ReturnType<typeof buildApp>>
  runtime: Runtime
  config: Config
  databaseUrl: string | undefined
  /** A new key's secret; `organisation` defaults to `default`, as for keys made without one. */
  key(role: Role, name?: string, organisation?: string): Promise<string>
  auth(role: Role): Promise<Record<string, string>>
  close(): Promise<void>
  /** Drops the test's PostgreSQL database (a no-op on PGlite), for tests that closed the runtime themselves. */
  dropDatabase(): Promise<void>
}

export async function createTestApp(env: Record<string, string> = {}, logger?: unknown): Promise<TestApp> {
  const db = await freshDatabaseUrl()
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DATA_DIR: 'memory://',
    AUDIT_FLUSH_MS: '1',
    // A test that blocks its process for a whole second (building a second app, say) leaves no delay
    // sample, which the load shedder reads as infinite delay; only the load-shedding test wants 503s.
    MAX_EVENT_LOOP_DELAY_MS: '0',
    ...(db.url ? { DATABASE_URL: db.url } : {}),
    ...env,
  })
  const runtime = await openRuntime(config)
  const app = checkingResponses(
    await buildApp({ config, services: runtime.services, loggerInstance: logger as never }),
  )
  const keys = new Map<Role, string>()
  const key = async (role: Role, name = `${role}-test`, organisation?: string) => {
    const { secret } = await runtime.services.keys.create(role, name, cliActor(), {
      ...(organisation ? { organisation } : {}),
    })
    return secret
  }
  return {
    app,
    runtime,
    config,
    databaseUrl: db.url,
    key,
    auth: async (role) => {
      let secret = keys.get(role)
      if (!secret) {
        secret = await key(role)
        keys.set(role, secret)
      }
      return { authorization: `Bearer ${secret}` }
    },
    close: async () => {
      await app.close()
      await runtime.close()
      await db.drop()
    },
    dropDatabase: () => db.drop(),
  }
}

/**
 * The app with `inject` checking every response against openapi/openapi.json (see openapi-responses.ts):
 * a response that breaks its description fails the test that received it. The callback form and a chain
 * built without options stay unchecked; the tests use neither.
 */
function checkingResponses<T extends Pick<TestApp['app'], 'inject'>>(app: T): T {
  const inject = app.inject.bind(app) as (...args: unknown[]) => unknown
  app.inject = ((...args: unknown[]) => {
    const result = inject(...args)
    // With options and no callback, light-my-request answers with a thenable Chain, not a Promise.
    if (args.length !== 1 || typeof (result as PromiseLike<unknown>)?.then !== 'function') return result
    return Promise.resolve(result as ReturnType<T['inject']>).then(
      (res: Awaited<ReturnType<T['inject']>>) => {
        const violation = openApiViolation({
          method: res.raw.req.method ?? 'GET',
          url: res.raw.req.url ?? '/',
          statusCode: res.statusCode,
          contentType: res.headers['content-type'] as string | undefined,
          body: res.body,
        })
        if (violation) throw new Error(`response breaks openapi/openapi.json: ${violation}`)
        return res
      },
    )
  }) as T['inject']
  return app
}

/** Screens `payload` as an officer and returns the answer, failing the test unless it is a 200. */
export async function screenAsOfficer(t: TestApp, payload: object) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/screenings',
    headers: await t.auth('officer'),
    payload,
  })
  if (res.statusCode !== 200) throw new Error(`screening answered ${res.statusCode}: ${res.body}`)
  return res.json()
}
