/**
 * npm run bench:reports — the trade report (issue 17) and the decision log (issue 23) over a year of
 * BENCH_REPORT_LINES (default 1,000,000) screened lines of a realistic mix (scripts/fill-screened-lines.ts),
 * on PostgreSQL (DATABASE_URL; a fresh database, dropped afterwards). A server process answers; the figures
 * are time to the last byte and the server's peak RSS (VmHWM), read from /proc.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { get, type IncomingMessage } from 'node:http'
import { cpus, loadavg } from 'node:os'
import { sql } from 'drizzle-orm'
import { fillScreenedLines } from '../scripts/fill-screened-lines.ts'
import { createKeys, freePort, scratchStore, startServer } from '../scripts/server-process.ts'
import { openDatabase, queryRows } from '../src/db/client.ts'

const LINES = Number(process.env.BENCH_REPORT_LINES ?? 1_000_000)
const ROUNDS = 3
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

if (!process.env.DATABASE_URL) {
  console.error('bench:reports runs on PostgreSQL: set DATABASE_URL')
  process.exit(1)
}

/** The machine's load average (1, 5, 15 min) and CPUs: figures on a shared machine mean little without it. */
const load = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ')}`
/** The goals of issues 17 and 23, printed beside each figure. */
const GOALS = {
  json: '< 2 s',
  html: '< 3 s',
  csv: 'no goal',
  logCsv: '≥ 50,000 rows/s, RSS < 200 MB',
  logXlsx: '≥ 10,000 rows/s, RSS < 200 MB',
} as const

const peakRssMiB = (pid: number) =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024

/** Reads a whole answer: bytes, newline count and seconds to the last byte. */
async function download(url: string, key: string) {
  const started = performance.now()
  const res = await new Promise<IncomingMessage>((resolve, reject) =>
    get(url, { headers: { authorization: `Bearer ${key}` } }, resolve).on('error', reject),
  )
  if (res.statusCode !== 200) {
    let body = ''
    for await (const chunk of res) body += chunk
    throw new Error(`${url} answered ${res.statusCode}: ${body.slice(0, 500)}`)
  }
  let bytes = 0
  let lines = 0
  for await (const chunk of res as AsyncIterable<Buffer>) {
    bytes += chunk.length
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++
  }
  return { bytes, lines, seconds: (performance.now() - started) / 1000 }
}

// BENCH_REPORTS_DATABASE_URL: a database to fill once and keep (filling 1,000,000 lines takes minutes);
// it is filled only while it holds no screened lines.
const kept = process.env.BENCH_REPORTS_DATABASE_URL
const store = kept
  ? { env: { DATABASE_URL: kept }, cleanup: async () => {} }
  : await scratchStore('PostgreSQL', 'popscreen-reports-bench')
try {
  const database = await openDatabase({ databaseUrl: store.env.DATABASE_URL!, dataDir: 'memory://' })
  await database.migrate()
  let started = performance.now()
  const [{ n }] = (await queryRows<{ n: number }>(
    database.db,
    sql`select count(*)::int as n from screening_lines`,
  )) as [{ n: number }]
  const filled =
    n > 0 ? { lines: n, screenings: Number.NaN } : await fillScreenedLines(database.db, LINES, { year: 2025 })
  const fillSeconds = (performance.now() - started) / 1000
  if (n === 0) await database.db.execute(sql`vacuum analyze`)
  await database.close()
  console.log(`\n${cpus()[0]?.model ?? 'CPU'} × ${cpus().length}; ${load()}`)
  console.log(
    `reports on PostgreSQL: ${fmt(filled.lines)} screened lines (year 2025)${n > 0 ? ', kept from an earlier run' : ` in ${fmt(filled.screenings)} screenings, filled in ${fillSeconds.toFixed(0)} s`}`,
  )
  const { auditor } = await createKeys(store.env, ['auditor'])
  const server = await startServer({ ...store.env, LOG_LEVEL: 'warn' }, await freePort())
  const pid = server.child.pid!
  try {
    console.log(`  server RSS at rest ${fmt(rssMiB(pid))} MiB`)
    const year = 'from=2025-01-01&to=2025-12-31'
    for (const format of ['json', 'html', 'csv'] as const) {
      const times: number[] = []
      let bytes = 0
      for (let i = 0; i < ROUNDS; i++) {
        const r = await download(`${server.baseUrl}/v1/reports/pops-trade?${year}&format=${format}`, auditor)
        times.push(r.seconds)
        bytes = r.bytes
      }
      const sorted = [...times].sort((a, b) => a - b)
      console.log(
        `  pops-trade yearly ${format}: ${times.map((t) => t.toFixed(2)).join(', ')} s (median ${sorted[1]!.toFixed(2)} s; goal ${GOALS[format]}), ${fmt(bytes / 1024)} KiB; server peak RSS so far ${fmt(peakRssMiB(pid))} MiB; ${load()}`,
      )
    }
    // The XLSX's rows are counted by the CSV of the same filter (a kept database may hold other years).
    let csvRows = Number.NaN
    for (const format of ['csv', 'xlsx'] as const) {
      const before = rssMiB(pid)
      // The export's own peak: reset the peak RSS to the current RSS (Linux: `5` in clear_refs).
      writeFileSync(`/proc/${pid}/clear_refs`, '5')
      started = performance.now()
      const r = await download(
        `${server.baseUrl}/v1/reports/decision-log?${year}&format=${format}`,
        auditor,
      ).catch((err: Error) => ({ error: err.message }))
      if ('error' in r) {
        console.log(`  decision-log ${format}: ${r.error}`)
        continue
      }
      if (format === 'csv') csvRows = r.lines - 1
      const rows = csvRows
      console.log(
        `  decision-log yearly ${format}: ${fmt(rows)} rows, ${fmt(r.bytes / 1024 / 1024)} MiB in ${r.seconds.toFixed(1)} s = ${fmt(rows / r.seconds)} rows/s (goal ${GOALS[format === 'csv' ? 'logCsv' : 'logXlsx']}); server RSS ${fmt(before)} MiB before, peak during the export ${fmt(peakRssMiB(pid))} MiB; ${load()}`,
      )
    }
  } finally {
    await server.stop()
  }
} finally {
  await store.cleanup()
}
