import http from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { appendLog } from '../../scripts/append-log.ts'
import { fillScreenedLines } from '../../scripts/fill-screened-lines.ts'
import {
  type Driver,
  freePort,
  type ServerProcess,
  scratchStore,
  startServer,
} from '../../scripts/server-process.ts'
import { loadConfig } from '../../src/config.ts'
import { openRuntime } from '../../src/runtime.ts'
import { cliActor } from '../../src/services/actor.ts'
import { startLoad } from './load.ts'

const hasPostgres = Boolean(process.env.DATABASE_URL)
const drivers: { name: Driver }[] = [
  { name: 'PGlite' },
  ...(hasPostgres ? [{ name: 'PostgreSQL' as const }] : []),
]

/**
 * An export request whose client never reads the body: the slowest reader there is. (A paused socket
 * never learns that the server closed it, so whether it was cut is read from the server's side.)
 */
function stalledExport(url: string, key: string) {
  return new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
    const req = http.get(url, { headers: { authorization: `Bearer ${key}` } }, (res) => {
      res.pause()
      res.on('error', () => {})
      resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] })
    })
    req.on('error', reject)
  })
}

/** The streams `server` has cut for a client reading too slowly, once there are `expected` or after 60 s. */
async function cutForSlowReading(server: ServerProcess, expected: number): Promise<number> {
  const cut = () => server.output().split('client reads too slowly').length - 1
  const deadline = Date.now() + 60_000
  while (cut() < expected && Date.now() < deadline) await sleep(500)
  return cut()
}

describe.each(drivers)('slow exports on $name', ({ name }) => {
  it('ten stalled exports leave screening unaffected; the extra ones get 503 and the stalled ones are cut', async () => {
    const store = await scratchStore(name, 'popscreen-exports')
    const port = await freePort()
    try {
      const runtime = await openRuntime(
        loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: 'memory://', ...store.env }),
      )
      let keys: { screener: string; auditor: string }
      try {
        const create = async (role: 'screener' | 'auditor') =>
          (await runtime.services.keys.create(role, `${role}-exports`, cliActor())).secret
        keys = { screener: await create('screener'), auditor: await create('auditor') }
        // ~40 MB of log: far more than a socket's buffers, so no stalled export can finish.
        const filler = 'x'.repeat(10_000)
        await appendLog(runtime.database.db, 4_000, (n) => ({
          action: 'key.created',
          actor: cliActor(),
          subject: { keyId: `k${n}` },
          payload: { n, filler },
        }))
      } finally {
        await runtime.close()
      }
      // Load shedding off: PGlite runs inside the server process, and on a busy machine its page reads
      // stall the event loop past the shedding threshold; this test is about connections and slots.
      const server = await startServer({ ...store.env, MAX_EVENT_LOOP_DELAY_MS: '0' }, port)
      try {
        const exports = Array.from({ length: 10 }, (_, i) =>
          stalledExport(`${server.baseUrl}/v1/audit/events?format=${i % 2 ? 'csv' : 'ndjson'}`, keys.auditor),
        )
        const answers = await Promise.all(exports)
        // EXPORT_CONCURRENCY (4) are streaming and stalled; the others are told to come back later.
        expect(answers.filter((a) => a.status === 200)).toHaveLength(4)
        expect(answers.filter((a) => a.status === 503 && a.retryAfter === '30')).toHaveLength(6)

        const load = startLoad({ baseUrl: server.baseUrl, key: keys.screener, concurrency: 8, max: 200 })
        const results = await load.finished
        expect(results.filter((r) => r.status !== 200)).toEqual([])
        expect((await fetch(`${server.baseUrl}/health/ready`)).status).toBe(200)

        // Under EXPORT_MIN_BYTES_PER_SECOND (64 KiB/s over 10 s) the stalled streams are cut, which frees
        // their slots: a client that reads then gets the whole log.
        expect(await cutForSlowReading(server, 4)).toBe(4)
        const res = await fetch(`${server.baseUrl}/v1/audit/events?format=ndjson`, {
          headers: { authorization: `Bearer ${keys.auditor}` },
        })
        expect(res.status).toBe(200)
        expect((await res.text()).trim().split('\n').length).toBeGreaterThan(4_000)
        expect(server.child.exitCode, server.output()).toBeNull()
      } finally {
        await server.stop()
      }
    } finally {
      await store.cleanup()
    }
  }, 300_000)

  it('stalled decision-log exports (CSV and XLSX) are cut too, and free their slots', async () => {
    const store = await scratchStore(name, 'popscreen-log-exports')
    const port = await freePort()
    try {
      const runtime = await openRuntime(
        loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: 'memory://', ...store.env }),
      )
      let auditor: string
      try {
        auditor = (await runtime.services.keys.create('auditor', 'auditor-log-exports', cliActor())).secret
        // ~18 MB of CSV and ~10 MB of XLSX: more than a socket's buffers, so no stalled export can finish.
        await fillScreenedLines(runtime.database.db, 60_000, { year: 2025 })
      } finally {
        await runtime.close()
      }
      const server = await startServer({ ...store.env, MAX_EVENT_LOOP_DELAY_MS: '0' }, port)
      try {
        const url = (format: string) =>
          `${server.baseUrl}/v1/reports/decision-log?from=2025-01-01&to=2025-12-31&format=${format}`
        const answers = await Promise.all(
          ['csv', 'xlsx', 'csv', 'xlsx'].map((format) => stalledExport(url(format), auditor)),
        )
        expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200])
        // Every slot (EXPORT_CONCURRENCY, 4) is held: a fifth export waits its turn.
        expect((await fetch(url('csv'), { headers: { authorization: `Bearer ${auditor}` } })).status).toBe(
          503,
        )

        expect(await cutForSlowReading(server, 4)).toBe(4)
        const res = await fetch(url('csv'), { headers: { authorization: `Bearer ${auditor}` } })
        expect(res.status).toBe(200)
        expect((await res.text()).trim().split('\n').length).toBe(60_001)
        expect(server.child.exitCode, server.output()).toBeNull()
      } finally {
        await server.stop()
      }
    } finally {
      await store.cleanup()
    }
  }, 300_000)
})
