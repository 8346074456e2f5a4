/**
 * npm run bench:http — the HTTP service measured against baselines taken by the same server in the same
 * run: the /health/live ceiling, a zod-validated echo of a screening request, then POST /v1/screenings with
 * 1-line and 20-line declarations (each answer only after its audit event committed). PGlite first, then
 * PostgreSQL when DATABASE_URL is set (on a fresh database, dropped afterwards). All load goes to 127.0.0.1,
 * bounded by BENCH_SECONDS (default 10) per measurement.
 *
 * The echo and the 1-line screening, whose ratio is the goal, alternate in BENCH_ROUNDS rounds (default 4)
 * of BENCH_SECONDS / 2 each: this VM's speed drifts by tens of per cent within a minute, and one echo row
 * followed by one screening row measured the drift as often as the service.
 */
import { readFileSync } from 'node:fs'
import { availableParallelism, cpus } from 'node:os'
import autocannon from 'autocannon'
import { createKeys, type Driver, freePort, scratchStore, startServer } from '../scripts/server-process.ts'
import { declaration } from './declarations.ts'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4)
/** Issue #8's goal for 1-line screenings on PostgreSQL. */
const GOAL = { ratio: 0.5, p99: 25 }

/** What one or more runs of a route add up to; rates, percentiles and per-request CPU follow in `derived`. */
interface Measurement {
  name: string
  requests: number
  seconds: number
  /** Every answered request's latency in ms, as the load generator timed it: rounds merge exactly. */
  latencies: number[]
  failures: number
  /** CPU time of the server process (all its threads): steadier than rates on a shared VM. */
  cpuSeconds: number
  /** The audit batches committed during the measurement (from the service's /metrics). */
  audit?: AuditTotals
}

/** `slow`: batches that took longer than SLOW_BATCH_SECONDS to seal, write and commit. */
type AuditTotals = { batches: number; events: number; seconds: number; slow: number }

/** a + sign × b, field by field: a measurement's delta (sign -1) and the sum of rounds. */
const addTotals = (a: AuditTotals, b: AuditTotals, sign = 1): AuditTotals => ({
  batches: a.batches + sign * b.batches,
  events: a.events + sign * b.events,
  seconds: a.seconds + sign * b.seconds,
  slow: a.slow + sign * b.slow,
})

/** A bucket bound of `audit_batch_duration_seconds`. */
const SLOW_BATCH_SECONDS = 0.05

/** User + system CPU seconds a process has used (Linux /proc; fields 14 and 15, in clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

async function auditTotals(base: string): Promise<AuditTotals> {
  const text = await (await fetch(`${base}/metrics`)).text()
  const total = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN)
  return {
    batches: total('audit_batches_total'),
    events: total('audit_events_total'),
    seconds: total('audit_batch_seconds_total'),
    slow:
      total('audit_batch_duration_seconds_count') -
      total(`audit_batch_duration_seconds_bucket\\{le="${SLOW_BATCH_SECONDS}"\\}`),
  }
}

/** A measurement of a screening route, with the audit batches it caused. */
async function measureScreening(
  name: string,
  base: string,
  pid: number,
  body: string,
  key: string,
  seconds?: number,
): Promise<Measurement> {
  const before = await auditTotals(base)
  const m = await measure(name, `${base}/v1/screenings`, pid, { method: 'POST', body, key, seconds })
  return { ...m, audit: addTotals(await auditTotals(base), before, -1) }
}

async function measure(
  name: string,
  url: string,
  pid: number,
  options: { method?: 'GET' | 'POST'; body?: string; key?: string; seconds?: number },
): Promise<Measurement> {
  const cpuBefore = cpuSeconds(pid)
  const latencies: number[] = []
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration: options.seconds ?? SECONDS,
        method: options.method ?? 'GET',
        headers: {
          ...(options.body ? { 'content-type': 'application/json' } : {}),
          ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
        },
        ...(options.body ? { body: options.body } : {}),
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    )
    instance.on('response', (_client, _status, _bytes, ms) => {
      latencies.push(ms)
    })
  })
  return {
    name,
    requests: result.requests.total,
    seconds: result.duration,
    latencies,
    failures: result.non2xx + result.errors + result.timeouts,
    cpuSeconds: cpuSeconds(pid) - cpuBefore,
  }
}

/** Rounds of one route as one row: everything summed, so rates and percentiles cover all its requests. */
function combine(rounds: Measurement[]): Measurement {
  const sum = (f: (m: Measurement) => number) => rounds.reduce((total, m) => total + f(m), 0)
  const audits = rounds.flatMap((m) => (m.audit ? [m.audit] : []))
  return {
    name: rounds[0]!.name,
    requests: sum((m) => m.requests),
    seconds: sum((m) => m.seconds),
    latencies: rounds.flatMap((m) => m.latencies),
    failures: sum((m) => m.failures),
    cpuSeconds: sum((m) => m.cpuSeconds),
    ...(audits.length > 0 ? { audit: audits.reduce((t, a) => addTotals(t, a)) } : {}),
  }
}

type Derived = ReturnType<typeof derived>

function derived(m: Measurement) {
  const sorted = Float64Array.from(m.latencies).sort()
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
  return {
    rps: m.requests / m.seconds,
    p50: at(0.5),
    p99: at(0.99),
    cpuPerRequest: (m.cpuSeconds * 1e6) / m.requests,
  }
}

interface DriverResult {
  rows: Measurement[]
  /** 1-line screenings ÷ echo, round by round. */
  roundRatios: number[]
}

async function benchDriver(driver: Driver): Promise<DriverResult> {
  const s = await scratchStore(driver, 'popscreen-bench')
  try {
    const { screener } = await createKeys(s.env, ['screener'])
    const env = { ...s.env, LOG_LEVEL: 'warn', RATE_LIMIT_MAX: '1000000000' }
    const server = await startServer(env, await freePort(), 'bench/server.ts')
    try {
      const base = server.baseUrl
      const pid = server.child.pid!
      const one = JSON.stringify(declaration(1))
      const twenty = JSON.stringify(declaration(20))
      // Warm-up: JIT, pool connections, registry snapshot caches.
      await measure('warm-up', `${base}/v1/screenings`, pid, {
        method: 'POST',
        body: one,
        key: screener,
        seconds: 3,
      })
      const health = await measure('GET /health/live', `${base}/health/live`, pid, {})
      const echoRounds: Measurement[] = []
      const oneRounds: Measurement[] = []
      for (let round = 0; round < ROUNDS; round++) {
        echoRounds.push(
          await measure('POST /bench/echo (zod, 1 line)', `${base}/bench/echo`, pid, {
            method: 'POST',
            body: one,
            seconds: SECONDS / 2,
          }),
        )
        oneRounds.push(
          await measureScreening('POST /v1/screenings, 1 line', base, pid, one, screener, SECONDS / 2),
        )
      }
      return {
        rows: [
          health,
          combine(echoRounds),
          combine(oneRounds),
          await measureScreening('POST /v1/screenings, 20 lines', base, pid, twenty, screener),
        ],
        roundRatios: oneRounds.map((m, i) => derived(m).rps / derived(echoRounds[i]!).rps),
      }
    } finally {
      await server.stop()
    }
  } finally {
    await s.cleanup()
  }
}

function batchSummary(a: AuditTotals): string {
  return `${(a.events / a.batches).toFixed(1)}, ${((a.seconds * 1000) / a.batches).toFixed(1)}, ${a.slow} of ${a.batches}`
}

function report(driver: string, { rows: m, roundRatios }: DriverResult) {
  const [health, echo, one, twenty] = m.map(derived) as [Derived, Derived, Derived, Derived]
  console.log(
    `\n${driver}: ${CONNECTIONS} connections; ${SECONDS} s per row, echo and 1-line in ${ROUNDS} alternating rounds of ${SECONDS / 2} s`,
  )
  console.log(
    `| route | req/s | p50 ms | p99 ms | × health | × echo | server CPU µs/req | failures | audit batch: events, ms, over ${SLOW_BATCH_SECONDS * 1000} ms |`,
  )
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const row of m) {
    const r = derived(row)
    console.log(
      `| ${row.name} | ${Math.round(r.rps).toLocaleString('en')} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${(r.rps / health.rps).toFixed(2)} | ${(r.rps / echo.rps).toFixed(2)} | ${Math.round(r.cpuPerRequest)} | ${row.failures} | ${row.audit ? batchSummary(row.audit) : ''} |`,
    )
  }
  console.log(
    `1-line ÷ echo by round: ${roundRatios.map((r) => r.toFixed(2)).join(', ')}; server CPU per echo ÷ per 1-line screening: ${(echo.cpuPerRequest / one.cpuPerRequest).toFixed(2)}`,
  )
  console.log(
    `screening lines/s: 1-line ${Math.round(one.rps).toLocaleString('en')}, 20-line ${Math.round(twenty.rps * 20).toLocaleString('en')}`,
  )
  if (driver === 'PostgreSQL') {
    const ratio = one.rps / echo.rps
    const met = ratio >= GOAL.ratio && one.p99 <= GOAL.p99
    console.log(
      `goal (1-line ≥ ${GOAL.ratio}× echo, p99 ≤ ${GOAL.p99} ms at ${CONNECTIONS} connections): ${met ? 'met' : 'not met'} (${ratio.toFixed(2)}×, p99 ${one.p99.toFixed(1)} ms)`,
    )
  }
  return m.every((r) => r.failures === 0)
}

const drivers: Driver[] = ['PGlite', ...(process.env.DATABASE_URL ? ['PostgreSQL' as const] : [])]
console.log(
  `machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}`,
)
let clean = true
for (const driver of drivers) clean = report(driver, await benchDriver(driver)) && clean
if (!clean) {
  console.error('\nsome requests failed; the figures above are not valid')
  process.exit(1)
}
