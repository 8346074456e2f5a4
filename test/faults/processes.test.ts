import { spawnSync } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createKeys,
  type Driver,
  freePort,
  type ScratchStore,
  type ServerProcess,
  scratchStore,
  startServer,
} from '../../scripts/server-process.ts'
import type { Role } from '../../src/services/actor.ts'
import { auditFacts, type LoadResult, oneLine, startLoad, verifyOnline, waitUntil } from './load.ts'

const hasPostgres = Boolean(process.env.DATABASE_URL)
const drivers: { name: Driver }[] = [
  { name: 'PGlite' },
  ...(hasPostgres ? [{ name: 'PostgreSQL' as const }] : []),
]
const ROLES: Role[] = ['screener', 'auditor']

/** Everything a test needs to start servers on one fresh database. */
interface Stage extends ScratchStore {
  keys: Record<Role, string>
}

async function stage(driver: Driver): Promise<Stage> {
  const store = await scratchStore(driver, 'popscreen-faults')
  return { ...store, keys: await createKeys(store.env, ROLES) }
}

const acknowledged = (results: LoadResult[]) => results.filter((r) => r.status === 200)

/** Every 200 is in the audit log exactly once and the chain verifies, read by a freshly started server. */
async function expectEveryAcknowledgedDecisionRecorded(s: Stage, results: LoadResult[], port: number) {
  const server = await startServer(s.env, port)
  try {
    const facts = await auditFacts(server.baseUrl, s.keys.auditor)
    const missing = acknowledged(results).filter(
      (r) => !r.screeningId || !facts.screeningIds.has(r.screeningId),
    )
    expect(missing).toEqual([])
    expect(facts.duplicates).toBe(0)
    expect(facts.gapFree).toBe(true)
    expect(await verifyOnline(server.baseUrl, s.keys.auditor)).toMatchObject({
      ok: true,
      checked: facts.count,
    })
  } finally {
    await server.stop()
  }
}

describe.each(drivers)('server process on $name', ({ name }) => {
  let s: Stage
  let port: number
  let server: ServerProcess | undefined
  beforeEach(async () => {
    s = await stage(name)
    port = await freePort()
  })
  afterEach(async () => {
    await server?.stop('SIGKILL')
    server = undefined
    await s.cleanup()
  })

  it('a key created with the CLI works against a server started afterwards', async () => {
    const { DATABASE_URL: _inherited, ...env } = process.env
    const cli = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'keys', 'create', '--role', 'screener', '--name', 'cli-made'],
      { env: { ...env, ...s.env, LOG_LEVEL: 'silent' }, encoding: 'utf8' },
    )
    expect(cli.status, cli.stderr).toBe(0)
    const secret = cli.stdout.trim().split('\n').at(-1)!
    expect(secret).toMatch(/^pops_/)
    server = await startServer(s.env, port)
    const res = await fetch(`${server.baseUrl}/v1/screenings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify(oneLine(1)),
    })
    expect(res.status).toBe(200)
    // A PGlite directory belongs to one process at a time, so `keys list` beside the server only on PostgreSQL.
    if (name === 'PostgreSQL') {
      const list = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'keys', 'list'], {
        env: { ...env, ...s.env, LOG_LEVEL: 'silent' },
        encoding: 'utf8',
      })
      expect(list.stdout).toContain('cli-made')
      expect(list.stdout).not.toContain(secret)
    }
  })

  it('kill -9 under load: every screening that got a 200 is in the audit log and the chain verifies', async () => {
    server = await startServer(s.env, port)
    const load = startLoad({ baseUrl: server.baseUrl, key: s.keys.screener, concurrency: 16, max: 20_000 })
    await waitUntil(() => load.ok() >= 200, 30_000)
    server.child.kill('SIGKILL')
    await server.exited
    const results = await load.stop()
    server = undefined

    expect(load.ok()).toBeGreaterThanOrEqual(200)
    expect(results.filter((r) => r.status !== 200 && r.status !== 'network-error')).toEqual([])
    await expectEveryAcknowledgedDecisionRecorded(s, results, port)
  })

  it('SIGTERM under load: in-flight requests finish, exit code 0, no acknowledged decision lost', async () => {
    server = await startServer(s.env, port)
    const load = startLoad({ baseUrl: server.baseUrl, key: s.keys.screener, concurrency: 16, max: 20_000 })
    await waitUntil(() => load.ok() >= 200, 30_000)
    const code = await server.stop('SIGTERM')
    const results = await load.stop()
    server = undefined

    expect(code).toBe(0)
    // While closing, fastify answers 503 on kept-alive sockets; after it, connections are refused.
    expect(results.filter((r) => ![200, 503, 'network-error'].includes(r.status))).toEqual([])
    await expectEveryAcknowledgedDecisionRecorded(s, results, port)
  })
})

describe.runIf(hasPostgres)('PostgreSQL faults', () => {
  let s: Stage
  const servers: ServerProcess[] = []
  beforeEach(async () => {
    s = await stage('PostgreSQL')
  })
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((p) => p.stop('SIGKILL')))
    await s.cleanup()
  })

  it('connections killed with pg_terminate_backend: only 503s while it lasts, then recovery on its own', async () => {
    const port = await freePort()
    const server = await startServer(s.env, port)
    servers.push(server)
    const load = startLoad({ baseUrl: server.baseUrl, key: s.keys.screener, concurrency: 16, max: 50_000 })
    const { results } = load
    await waitUntil(() => load.ok() >= 100, 30_000)

    const dbName = new URL(s.env.DATABASE_URL!).pathname.slice(1)
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL })
    await admin.connect()
    let terminated = 0
    const outageEnds = Date.now() + 2_000
    while (Date.now() < outageEnds) {
      const { rows } = await admin.query(
        'select pg_terminate_backend(pid) as t from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [dbName],
      )
      terminated += rows.filter((r) => r.t).length
      await sleep(25)
    }
    await admin.end()
    const afterOutage = results.length
    const outageOver = Date.now()
    await waitUntil(() => results.slice(afterOutage).some((r) => r.status === 200), 15_000)
    const recoveryMs = Date.now() - outageOver
    await load.stop()

    console.info(
      `pg_terminate_backend: ${terminated} connections killed; ${load.ok()} × 200, ` +
        `${results.filter((r) => r.status === 503).length} × 503; first 200 ${recoveryMs} ms after the outage`,
    )
    expect(terminated).toBeGreaterThan(0)
    expect(server.child.exitCode, server.output()).toBeNull()
    expect(results.filter((r) => r.status !== 200 && r.status !== 503)).toEqual([])
    expect(results.some((r) => r.status === 503)).toBe(true)
    expect(results.slice(afterOutage).some((r) => r.status === 200)).toBe(true)
    const ready = await fetch(`${server.baseUrl}/health/ready`)
    expect(ready.status).toBe(200)
    await server.stop()
    servers.length = 0
    await expectEveryAcknowledgedDecisionRecorded(s, results, port)
  })

  it('two server processes on one database write one gap-free chain that verifies', async () => {
    const [a, b] = await Promise.all([
      freePort().then((p) => startServer(s.env, p)),
      freePort().then((p) => startServer(s.env, p)),
    ])
    servers.push(a!, b!)
    const per = (server: ServerProcess) =>
      startLoad({ baseUrl: server.baseUrl, key: s.keys.screener, concurrency: 8, max: 400 })
    const [la, lb] = [per(a!), per(b!)]
    const [ra, rb] = await Promise.all([la.finished, lb.finished])
    const failed = [...ra, ...rb].filter((r) => r.status !== 200)
    expect(failed, `${JSON.stringify(failed)}\n${a!.output()}\n${b!.output()}`.slice(0, 4000)).toEqual([])
    expect(la.ok() + lb.ok()).toBe(800)

    const facts = await auditFacts(a!.baseUrl, s.keys.auditor)
    expect(facts.gapFree).toBe(true)
    expect(facts.screeningIds.size).toBe(800)
    for (const r of [...ra, ...rb]) expect(facts.screeningIds.has(r.screeningId!)).toBe(true)
    expect(await verifyOnline(b!.baseUrl, s.keys.auditor)).toMatchObject({ ok: true, checked: facts.count })
  })
})
