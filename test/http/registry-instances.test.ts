import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { openRuntime, type Runtime } from '../../src/runtime.ts'
import { cliActor } from '../../src/services/actor.ts'
import { seedDocument } from '../helpers/registry.ts'
import { createTestApp, type TestApp, usingPostgres } from '../helpers/test-app.ts'

// Two instances share one database only on PostgreSQL; a PGlite directory belongs to one process.
describe.runIf(usingPostgres)('a second instance on the same PostgreSQL', () => {
  let first: TestApp
  let second: Runtime
  const pollErrors: unknown[] = []
  beforeAll(async () => {
    first = await createTestApp()
    second = await openRuntime(loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: first.databaseUrl! }))
    second.services.registry.startPolling(200, (err) => pollErrors.push(err))
  })
  afterAll(async () => {
    await second.close()
    await first.close()
  })

  it('picks up an activation made by the first within a few seconds, without a restart', async () => {
    expect(second.services.registry.current()?.version).toBe('2025.1')
    const doc = structuredClone(seedDocument())
    doc.version = '2099.2'
    await first.runtime.services.registry.import(doc, cliActor(), null)
    await first.runtime.services.registry.activate('2099.2', cliActor(), null)

    const started = Date.now()
    while (second.services.registry.current()?.version !== '2099.2' && Date.now() - started < 5_000)
      await new Promise((resolve) => setTimeout(resolve, 50))
    expect(second.services.registry.current()?.version).toBe('2099.2')
    expect(second.services.registry.current()?.hash).toBe(first.runtime.services.registry.current()?.hash)
    expect(pollErrors).toEqual([])
  })
})
