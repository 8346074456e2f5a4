/**
 * npm run bench, part two — the audit trail, on PostgreSQL when DATABASE_URL is set (a fresh database,
 * dropped afterwards), on PGlite in a temporary directory otherwise:
 *  1. append: screening events through the group committer from 50 concurrent callers, each answered only
 *     after its COMMIT, against a plain loop of single-row autocommit INSERTs of the same payload, measured
 *     in the same run (ratio);
 *  2. export: BENCH_EXPORT_EVENTS (default 1,000,000) chained events streamed as NDJSON by a server
 *     process: events/s, MB/s and the server's peak RSS (VmHWM); then the chain verified online. Twice:
 *     with large events (a BLOCK answer citing its legal basis, the worst case) and with the typical one
 *     (a 1-line declaration answered ALLOW).
 */
import { readFileSync } from 'node:fs'
import { get, type IncomingMessage } from 'node:http'
import { sql } from 'drizzle-orm'
import { appendLog } from '../scripts/append-log.ts'
import { createKeys, type Driver, freePort, scratchStore, startServer } from '../scripts/server-process.ts'
import { canonicalJson } from '../src/core/canonical-json.ts'
import { prepareDeclaration } from '../src/core/screening-request.ts'
import { openDatabase } from '../src/db/client.ts'
import { projectFile } from '../src/project-files.ts'
import { CheckpointSigner, generateSigningKey } from '../src/services/audit-signer.ts'
import { GroupCommitter } from '../src/services/group-commit.ts'
import { Nomenclature } from '../src/services/nomenclature.ts'
import { declaration } from './declarations.ts'

const APPEND_EVENTS = Number(process.env.BENCH_APPEND_EVENTS ?? 5_000)
const PLAIN_INSERTS = Number(process.env.BENCH_PLAIN_INSERTS ?? 2_000)
const EXPORT_EVENTS = Number(process.env.BENCH_EXPORT_EVENTS ?? 1_000_000)
const CONCURRENCY = 50
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

/** A large payload: a fixture declaration and a BLOCK answer with its reasons and legal basis. */
const fixture = (
  JSON.parse(readFileSync(projectFile('test', 'fixtures', 'declarations', 'cases.json'), 'utf8')) as {
    request: unknown
  }[]
)[0]!
const blockResponse = JSON.parse(
  readFileSync(projectFile('bench', 'sample-response.json'), 'utf8'),
) as Record<string, unknown>
const payload = { request: fixture.request, response: blockResponse }

/** The typical payload: bench:http's 1-line declaration (ordinary goods), answered ALLOW. */
const typicalRequest = declaration(1)
const typicalDigits = prepareDeclaration(typicalRequest, '2026-01-01').lines[0]!.hsDigits
const typicalHs = Nomenclature.load().describe(typicalDigits)!
const allowPayload = {
  request: typicalRequest,
  response: {
    ...blockResponse,
    decision: 'ALLOW',
    lines: [
      {
        lineNo: 1,
        decision: 'ALLOW',
        hs: { code: typicalDigits, subheading: typicalHs.code, description: typicalHs.description },
        reasons: [],
        advisories: [],
      },
    ],
  },
}
const actor = { keyId: '01937c4e-0000-7000-8000-000000000001', name: 'bench', role: 'screener' }

async function benchAppend(env: Record<string, string>) {
  const database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR ?? 'memory://' })
  await database.migrate()
  const { db } = database
  await db.execute(sql`create table bench_plain_inserts (id bigserial primary key, payload jsonb not null)`)
  const text = JSON.stringify(payload)
  let t = performance.now()
  for (let i = 0; i < PLAIN_INSERTS; i++)
    await db.execute(sql`insert into bench_plain_inserts (payload) values (${text}::jsonb)`)
  const plainRate = PLAIN_INSERTS / ((performance.now() - t) / 1000)

  const committer = new GroupCommitter(db, {
    flushMs: 2,
    maxBatch: 100,
    signer: new CheckpointSigner(generateSigningKey()),
  })
  let next = 0
  const noRows = () => []
  t = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < APPEND_EVENTS) {
        const n = next++
        await committer.submit({
          event: { action: 'screening.created', actor, subject: { screeningId: `bench-${n}` }, payload },
          stage: noRows,
        })
      }
    }),
  )
  const appendRate = APPEND_EVENTS / ((performance.now() - t) / 1000)
  await committer.close()
  await database.close()
  return { plainRate, appendRate }
}

/** Writes a valid chain of `count` events; the payload is canonicalised once. */
async function fillChain(env: Record<string, string>, count: number, payload: unknown) {
  const database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR ?? 'memory://' })
  await database.migrate()
  const canonicalPayload = canonicalJson(payload)
  await appendLog(database.db, count, (n) => ({
    action: 'screening.created',
    actor,
    subject: { screeningId: `bench-${n + 1}` },
    decision: 'ALLOW',
    registryVersion: '2024.1',
    payload,
    canonicalPayload,
  }))
  await database.close()
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024
}

/**
 * Reads an export and counts its bytes and lines. node:http rather than fetch: a web stream's per-chunk
 * cost in this process (on the same 2 cores as the server and PostgreSQL) showed up in the server's rate.
 */
async function download(url: string, key: string): Promise<{ bytes: number; lines: number }> {
  const res = await new Promise<IncomingMessage>((resolve, reject) =>
    get(url, { headers: { authorization: `Bearer ${key}` } }, resolve).on('error', reject),
  )
  if (res.statusCode !== 200) throw new Error(`export answered ${res.statusCode}`)
  let bytes = 0
  let lines = 0
  for await (const chunk of res as AsyncIterable<Buffer>) {
    bytes += chunk.length
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++
  }
  return { bytes, lines }
}

/** Exports everything once from a fresh server process; `heapMiB` caps V8's heap (0: Node's default). */
async function exportOnce(env: Record<string, string>, auditor: string, heapMiB: number) {
  const options: Record<string, string> = heapMiB ? { NODE_OPTIONS: `--max-old-space-size=${heapMiB}` } : {}
  const server = await startServer({ ...env, ...options, LOG_LEVEL: 'warn' }, await freePort())
  try {
    const startRss = peakRssMiB(server.child.pid!)
    const t = performance.now()
    const { bytes, lines } = await download(
      `${server.baseUrl}/v1/audit/events?format=ndjson&action=screening.created`,
      auditor,
    )
    const seconds = (performance.now() - t) / 1000
    console.log(
      `  export NDJSON${heapMiB ? ` (heap capped at ${heapMiB} MiB)` : ''}: ${fmt(lines)} events, ${fmt(bytes / 1024 / 1024)} MiB in ${seconds.toFixed(1)} s = ${fmt(lines / seconds)} events/s, ${fmt(bytes / 1024 / 1024 / seconds)} MiB/s; server peak RSS ${fmt(peakRssMiB(server.child.pid!))} MiB (${fmt(startRss)} MiB before)`,
    )
    return server
  } catch (err) {
    await server.stop()
    throw err
  }
}

async function benchExport(env: Record<string, string>, kind: string, eventPayload: unknown) {
  await fillChain(env, EXPORT_EVENTS, eventPayload)
  console.log(`  ${kind}: ${fmt(Buffer.byteLength(canonicalJson(eventPayload)))} bytes of payload per event`)
  const { auditor } = await createKeys(env, ['auditor'])
  await (await exportOnce(env, auditor, 128)).stop()
  const server = await exportOnce(env, auditor, 0)
  try {
    const verifyStart = performance.now()
    const verdict = (await (
      await fetch(`${server.baseUrl}/v1/audit/verify`, { headers: { authorization: `Bearer ${auditor}` } })
    ).json()) as { ok: boolean; checked: number }
    const verifySeconds = (performance.now() - verifyStart) / 1000
    console.log(
      `  verify online: ${fmt(verdict.checked)} events, ok=${verdict.ok}, ${fmt(verdict.checked / verifySeconds)} events/s`,
    )
  } finally {
    await server.stop()
  }
}

const driver: Driver = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'
const s = await scratchStore(driver, 'popscreen-audit-bench')
try {
  console.log(`\naudit trail on ${driver}`)
  const append = await benchAppend(s.env)
  console.log(
    `  append, durable: group commit ${fmt(append.appendRate)} events/s (${CONCURRENCY} concurrent callers, ${fmt(APPEND_EVENTS)} events)`,
  )
  console.log(
    `  baseline, single-row autocommit INSERT loop: ${fmt(append.plainRate)} rows/s (${fmt(PLAIN_INSERTS)} rows)`,
  )
  console.log(`  ratio group commit / INSERT loop: ${(append.appendRate / append.plainRate).toFixed(1)}`)
} finally {
  await s.cleanup()
}
for (const [kind, eventPayload] of [
  ['large events (BLOCK answer)', payload],
  ['typical events (1-line ALLOW answer)', allowPayload],
] as const) {
  const store = await scratchStore(driver, 'popscreen-audit-bench')
  try {
    await benchExport(store.env, kind, eventPayload)
  } finally {
    await store.cleanup()
  }
}
