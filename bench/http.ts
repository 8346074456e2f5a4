/**
 * npm run bench:http — the HTTP service against baselines the same server answers in the same run: the
 * /health/live ceiling, then each comparison of `comparisons()` (a screening of 1, 20 and 50 lines against
 * the zod-validated echo of the same body), PGlite first, then PostgreSQL when DATABASE_URL is set (on a fresh
 * database, dropped afterwards). All load goes to 127.0.0.1.
 *
 * Every comparison's baseline and subject alternate in BENCH_ROUNDS rounds (default 4) of BENCH_SECONDS each
 * (default 5), the comparisons interleaved within a round: this VM's speed drifts by tens of per cent within
 * a minute, and one baseline row followed by one subject row measured the drift as often as the service.
 * A row is the sum of its rounds; the ratio of each round is printed too.
 *
 * Comparison builds (bench/server.ts with BENCH_WITHOUT) run beside the full service on databases of their
 * own: the 1-line screening of the full service is divided by the same screening of a build without signed
 * checkpoints (issue #19: ≥ 0.95×) and of one without the per-line fact table (issue #17: ≥ 0.90×).
 * BENCH_WITHOUT=checkpoints (or lineFacts, or none) narrows them.
 *
 * BENCH_SEMI_SPACE_MIB=8 adds one more build: the full service with V8's young generation capped
 * (`--max-semi-space-size=8`), its 20-line screening divided by the full service's. Node 24 sizes the young
 * generation by the host's or the container's memory, so that ratio is what a smaller one costs
 * (README Operations, "Memory and the young generation").
 *
 * To add a row, add a comparison (a subject and the baseline it is divided by). BENCH_LINES=1,50 and
 * BENCH_DRIVERS=PostgreSQL narrow a run; BENCH_CPU_PROFILE_DIR=dir has the server write `node --cpu-prof`
 * profiles there.
 */
import { readFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg } from 'node:os'
import autocannon from 'autocannon'
import { createKeys, type Driver, freePort, scratchStore, startServer } from '../scripts/server-process.ts'
import type { LeftOut } from '../src/services/index.ts'
import { declaration, decMessage } from './declarations.ts'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4)
const LINES = (process.env.BENCH_LINES ?? '1,20,50').split(',').map(Number)
const DRIVERS = (process.env.BENCH_DRIVERS ?? 'PGlite,PostgreSQL')
  .split(',')
  .filter((d): d is Driver => d === 'PGlite' || (d === 'PostgreSQL' && Boolean(process.env.DATABASE_URL)))
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE_DIR
/** Issue #20's goal on PostgreSQL: every screening at ≥ 0.5× its echo, and 1-line p99 ≤ 25 ms. */
const GOAL = { ratio: 0.5, p99OneLine: 25 }
/** Lines of the DecMessage comparison (issue #15): the message against the JSON screening of the same goods. */
const DEC_MESSAGE_LINES = Number(process.env.BENCH_DEC_MESSAGE_LINES ?? 20)
/** The comparison builds and the least full ÷ without ratio each is held to. */
const WITHOUT_GOALS: Record<LeftOut, number> = { checkpoints: 0.95, lineFacts: 0.9 }
const WITHOUT = (process.env.BENCH_WITHOUT ?? 'checkpoints,lineFacts')
  .split(',')
  .filter((part): part is LeftOut => part in WITHOUT_GOALS)
/** Semi-space size (MiB) of the young-generation comparison build; none without BENCH_SEMI_SPACE_MIB. */
const SEMI_SPACE_MIB = Number(process.env.BENCH_SEMI_SPACE_MIB ?? 0)
/**
 * The server a target is sent to: the full service, a comparison build leaving something out, or the full
 * service with its young generation capped at SEMI_SPACE_MIB.
 */
type Build = 'full' | LeftOut | 'smallYoungGeneration'

/** What one load-generator run sends. */
interface Target {
  name: string
  path: string
  method: 'GET' | 'POST'
  body?: string
  contentType?: string
  /** Sent as the bearer key. */
  key?: string
  /** Lines per request, for lines/s and CPU per line. */
  lines: number
  /** Whether it writes audit events, whose batches the row reports. */
  audited?: boolean
  /** The server that answers it; the full service when absent. */
  build?: Build
}

/** A subject measured against a baseline of the same work without what the subject adds. */
interface Comparison {
  label: string
  baseline: Target
  subject: Target
  /** Whether the subject's ratio is part of issue #20's goal. */
  goal: boolean
  /** A goal of its own: the least subject ÷ baseline ratio (issue #15's 0.8 for DecMessage). */
  minRatio?: number
}

/** The comparisons of a run; `keys` are each build's screener API key, in that build's database. */
function comparisons(keys: Record<Build, string>): Comparison[] {
  return [
    ...LINES.map((lines) => screeningComparison(lines, { screener: keys.full })),
    ...decMessageComparisons({ screener: keys.full }),
    ...WITHOUT.map((leftOut) => withoutComparison(leftOut, keys)),
    ...(SEMI_SPACE_MIB > 0 ? [youngGenerationComparison(keys)] : []),
  ]
}

/** The 20-line screening of the full service against the same service with a smaller young generation. */
function youngGenerationComparison(keys: Record<Build, string>): Comparison {
  const subject = screeningTarget(20, keys.full)
  return {
    label: `20 lines, V8's default ÷ --max-semi-space-size=${SEMI_SPACE_MIB}`,
    goal: false,
    baseline: {
      ...subject,
      name: `${subject.name}, --max-semi-space-size=${SEMI_SPACE_MIB}`,
      key: keys.smallYoungGeneration,
      build: 'smallYoungGeneration',
    },
    subject,
  }
}

/** The 1-line screening of the full service against the same screening of a build without `leftOut`. */
function withoutComparison(leftOut: LeftOut, keys: Record<Build, string>): Comparison {
  const subject = screeningTarget(1, keys.full)
  return {
    label: `1 line, full ÷ without ${leftOut}`,
    goal: false,
    minRatio: WITHOUT_GOALS[leftOut],
    baseline: { ...subject, name: `${subject.name}, without ${leftOut}`, key: keys[leftOut], build: leftOut },
    subject,
  }
}

function screeningTarget(lines: number, key: string): Target {
  const label = `${lines} line${lines === 1 ? '' : 's'}`
  return {
    name: `POST /v1/screenings, ${label}`,
    path: '/v1/screenings',
    method: 'POST',
    body: JSON.stringify(declaration(lines)),
    contentType: 'application/json',
    key,
    lines,
    audited: true,
  }
}

/** The DecMessage of the same goods against their JSON screening; BENCH_DEC_MESSAGE_LINES=0 leaves it out. */
function decMessageComparisons(keys: { screener: string }): Comparison[] {
  if (DEC_MESSAGE_LINES === 0) return []
  const lines = DEC_MESSAGE_LINES
  return [
    {
      label: `DecMessage, ${lines} lines, ÷ JSON`,
      goal: false,
      minRatio: 0.8,
      baseline: screeningTarget(lines, keys.screener),
      subject: {
        name: `POST /v1/screenings, ${lines}-line DecMessage (${Math.round(decMessage(lines).length / 1024)} KiB)`,
        path: '/v1/screenings',
        method: 'POST',
        body: decMessage(lines),
        contentType: 'application/xml',
        key: keys.screener,
        lines,
        audited: true,
      },
    },
  ]
}

/** A screening of `lines` lines against the zod-validated echo of the same body (issue #20). */
function screeningComparison(lines: number, keys: { screener: string }): Comparison {
  const subject = screeningTarget(lines, keys.screener)
  return {
    label: `${lines} line${lines === 1 ? '' : 's'}`,
    goal: true,
    baseline: {
      ...subject,
      name: subject.name.replace('/v1/screenings', '/bench/echo'),
      path: '/bench/echo',
      key: undefined,
      audited: false,
    },
    subject,
  }
}

/** What one or more runs of a target add up to; rates, percentiles and per-request CPU follow in `derived`. */
interface Measurement {
  target: Target
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

/** `metrics`: the server's metrics listener (METRICS_PORT, apart from the API). */
async function auditTotals(metrics: string): Promise<AuditTotals> {
  const text = await (await fetch(`${metrics}/metrics`)).text()
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

async function measure(
  { base, metrics, pid }: Running,
  target: Target,
  seconds: number,
): Promise<Measurement> {
  const auditBefore = target.audited ? await auditTotals(metrics) : undefined
  const cpuBefore = cpuSeconds(pid)
  const latencies: number[] = []
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${base}${target.path}`,
        connections: CONNECTIONS,
        duration: seconds,
        method: target.method,
        headers: {
          ...(target.contentType ? { 'content-type': target.contentType } : {}),
          ...(target.key ? { authorization: `Bearer ${target.key}` } : {}),
        },
        ...(target.body ? { body: target.body } : {}),
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    )
    instance.on('response', (_client, _status, _bytes, ms) => {
      latencies.push(ms)
    })
  })
  const cpu = cpuSeconds(pid) - cpuBefore
  return {
    target,
    requests: result.requests.total,
    seconds: result.duration,
    latencies,
    failures: result.non2xx + result.errors + result.timeouts,
    cpuSeconds: cpu,
    ...(auditBefore ? { audit: addTotals(await auditTotals(metrics), auditBefore, -1) } : {}),
  }
}

/** Rounds of one target as one row: everything summed, so rates and percentiles cover all its requests. */
function combine(rounds: Measurement[]): Measurement {
  const sum = (f: (m: Measurement) => number) => rounds.reduce((total, m) => total + f(m), 0)
  const audits = rounds.flatMap((m) => (m.audit ? [m.audit] : []))
  return {
    target: rounds[0]!.target,
    requests: sum((m) => m.requests),
    seconds: sum((m) => m.seconds),
    latencies: rounds.flatMap((m) => m.latencies),
    failures: sum((m) => m.failures),
    cpuSeconds: sum((m) => m.cpuSeconds),
    ...(audits.length > 0 ? { audit: audits.reduce((t, a) => addTotals(t, a)) } : {}),
  }
}

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

interface ComparisonResult {
  comparison: Comparison
  baseline: Measurement
  subject: Measurement
  /** subject ÷ baseline requests per second, round by round. */
  roundRatios: number[]
}

interface DriverResult {
  health: Measurement
  results: ComparisonResult[]
  /** Each build's server: resident and peak resident MiB after the last round. */
  memory: Partial<Record<Build, { rss: number; peak: number }>>
}

/** A process's resident and peak resident memory in MiB (Linux /proc). */
function residentMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN)
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 }
}

/** A running server of one build: where to send load and whose CPU to read. */
interface Running {
  base: string
  metrics: string
  pid: number
}

/** Starts a build's server on a database of its own; returns its screener key and how to stop it all. */
async function startBuild(driver: Driver, build: Build) {
  const store = await scratchStore(driver, `popscreen-bench-${build.toLowerCase()}`)
  try {
    const { screener } = await createKeys(store.env, ['screener'])
    const env = {
      ...store.env,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_MAX: '1000000000',
      RATE_LIMIT_IP_MAX: '1000000000',
      ...(build === 'full' || build === 'smallYoungGeneration' ? {} : { BENCH_WITHOUT: build }),
    }
    const server = await startServer(
      env,
      await freePort(),
      'bench/server.ts',
      PROFILE_DIR && build === 'full'
        ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`]
        : build === 'smallYoungGeneration'
          ? [`--max-semi-space-size=${SEMI_SPACE_MIB}`]
          : [],
    )
    return {
      screener,
      running: { base: server.baseUrl, metrics: server.metricsUrl, pid: server.child.pid! } satisfies Running,
      stop: async () => {
        await server.stop()
        await store.cleanup()
      },
    }
  } catch (err) {
    await store.cleanup()
    throw err
  }
}

async function benchDriver(driver: Driver): Promise<DriverResult> {
  const builds: Build[] = [
    'full',
    ...WITHOUT,
    ...(SEMI_SPACE_MIB > 0 ? (['smallYoungGeneration'] as const) : []),
  ]
  const started: Awaited<ReturnType<typeof startBuild>>[] = []
  try {
    for (const build of builds) started.push(await startBuild(driver, build))
    const servers = Object.fromEntries(builds.map((b, i) => [b, started[i]!.running])) as Record<
      Build,
      Running
    >
    const keys = Object.fromEntries(builds.map((b, i) => [b, started[i]!.screener])) as Record<Build, string>
    const run = (target: Target, seconds: number) => measure(servers[target.build ?? 'full'], target, seconds)
    const list = comparisons(keys)
    // Warm-up: JIT of every route and body size in every server, pool connections, registry snapshot caches.
    for (const c of list) {
      await run(c.baseline, 2)
      await run(c.subject, 2)
    }
    const health = await run(
      { name: 'GET /health/live', path: '/health/live', method: 'GET', lines: 0 },
      SECONDS,
    )
    const rounds = list.map(() => ({ baseline: [] as Measurement[], subject: [] as Measurement[] }))
    for (let round = 0; round < ROUNDS; round++)
      for (const [i, c] of list.entries()) {
        rounds[i]!.baseline.push(await run(c.baseline, SECONDS))
        rounds[i]!.subject.push(await run(c.subject, SECONDS))
      }
    return {
      health,
      memory: Object.fromEntries(builds.map((b) => [b, residentMiB(servers[b].pid)])),
      results: list.map((comparison, i) => {
        const { baseline, subject } = rounds[i]!
        return {
          comparison,
          baseline: combine(baseline),
          subject: combine(subject),
          roundRatios: subject.map((m, r) => derived(m).rps / derived(baseline[r]!).rps),
        }
      }),
    }
  } finally {
    for (const build of started) await build.stop()
  }
}

function batchSummary(a: AuditTotals): string {
  return `${(a.events / a.batches).toFixed(1)}, ${((a.seconds * 1000) / a.batches).toFixed(1)}, ${a.slow} of ${a.batches}`
}

const n = (x: number) => Math.round(x).toLocaleString('en')

function row(m: Measurement, baseline: Measurement | undefined): string {
  const r = derived(m)
  const lines = m.target.lines
  const ratio = baseline ? (r.rps / derived(baseline).rps).toFixed(2) : ''
  return `| ${m.target.name} | ${n(r.rps)} | ${lines > 1 ? n(r.rps * lines) : ''} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${ratio} | ${n(r.cpuPerRequest)} | ${m.failures} | ${m.audit ? batchSummary(m.audit) : ''} |`
}

function report(driver: Driver, { health, results, memory }: DriverResult): boolean {
  console.log(
    `\n${driver}: ${CONNECTIONS} connections; ${ROUNDS} alternating rounds of ${SECONDS} s per row (health: one)`,
  )
  console.log(
    `| route | req/s | lines/s | p50 ms | p99 ms | × baseline | server CPU µs/req | failures | audit batch: events, ms, over ${SLOW_BATCH_SECONDS * 1000} ms |`,
  )
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|')
  console.log(row(health, undefined))
  for (const r of results) {
    console.log(row(r.baseline, undefined))
    console.log(row(r.subject, r.baseline))
  }
  for (const { comparison, baseline, subject, roundRatios } of results) {
    const cpu = derived(baseline).cpuPerRequest / derived(subject).cpuPerRequest
    const ratio = derived(subject).rps / derived(baseline).rps
    console.log(
      `${comparison.label}: ${ratio.toFixed(2)}× (rounds ${roundRatios.map((x) => x.toFixed(2)).join(', ')}); server CPU per baseline ÷ per subject request ${cpu.toFixed(2)}${comparison.minRatio === undefined ? '' : `; goal ≥ ${comparison.minRatio}×: ${ratio >= comparison.minRatio ? 'met' : 'not met'}`}`,
    )
  }
  console.log(
    `server memory after the last round (resident, peak MiB): ${Object.entries(memory)
      .map(([build, m]) => `${build} ${n(m.rss)}, ${n(m.peak)}`)
      .join('; ')}`,
  )
  if (driver === 'PostgreSQL') {
    const scored = results.filter((r) => r.comparison.goal)
    const ratios = scored.map((r) => derived(r.subject).rps / derived(r.baseline).rps)
    const one = scored.find((r) => r.subject.target.lines === 1)
    const p99 = one ? derived(one.subject).p99 : Number.NaN
    const met = ratios.every((x) => x >= GOAL.ratio) && p99 <= GOAL.p99OneLine
    console.log(
      `goal (every screening ≥ ${GOAL.ratio}× its echo, 1-line p99 ≤ ${GOAL.p99OneLine} ms, ${CONNECTIONS} connections): ${met ? 'met' : 'not met'} (${scored.map((r, i) => `${r.comparison.label} ${ratios[i]!.toFixed(2)}×`).join(', ')}; 1-line p99 ${p99.toFixed(1)} ms)`,
    )
  }
  return [health, ...results.flatMap((r) => [r.baseline, r.subject])].every((m) => m.failures === 0)
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')
console.log(
  `machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}; load average ${load()}`,
)
let clean = true
for (const driver of DRIVERS) clean = report(driver, await benchDriver(driver)) && clean
console.log(`\nload average at the end: ${load()}`)
if (!clean) {
  console.error('\nsome requests failed; the figures above are not valid')
  process.exit(1)
}
