/**
 * What holding the online verification to the stored checkpoints costs (`GET /v1/audit/verify`,
 * src/services/chain-verify.ts): a log of BENCH_VERIFY_EVENTS (default 200,000) typical events is verified
 * with the chain walk alone (the verification before checkpoints were checked) and with the checkpoint
 * check, once with a checkpoint every BENCH_VERIFY_BATCH events (default 1: one screening per batch, the
 * most checkpoints a log can have) and once with one per 50 events. On PostgreSQL when DATABASE_URL is set
 * (a fresh database, dropped afterwards), else PGlite in a temporary directory. In-process, no HTTP.
 *
 *   npm run build && DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node dist/bench/verify-checkpoints.js
 */
import { loadavg } from 'node:os'
import { sql } from 'drizzle-orm'
import { appendLog } from '../scripts/append-log.ts'
import { scratchStore } from '../scripts/server-process.ts'
import { ChainVerifier } from '../src/core/audit-chain.ts'
import { canonicalJson } from '../src/core/canonical-json.ts'
import { type Database, openDatabase, queryRows } from '../src/db/client.ts'
import { eventOfText, insertCheckpointSql, readEventPages, readTail } from '../src/services/audit-log.ts'
import { CheckpointSigner, generateSigningKey } from '../src/services/audit-signer.ts'
import { verifyStoredChain } from '../src/services/chain-verify.ts'
import { declaration } from './declarations.ts'

const EVENTS = Number(process.env.BENCH_VERIFY_EVENTS ?? 200_000)
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

/** The chain walk alone, as the route did before it held the chain to the checkpoints. */
async function walkOnly(db: Database['db']) {
  let verifier: ChainVerifier | null = null
  pages: for await (const page of readEventPages(db, {}))
    for (const stored of page) {
      verifier ??= new ChainVerifier(stored.sequence > 1 ? await readTail(db, stored.sequence) : null)
      if (!verifier.push(eventOfText(stored), stored.payload)) break pages
    }
  return (verifier ?? new ChainVerifier(null)).verdict()
}

/** A log of `EVENTS` typical events with a signed checkpoint every `every` events. */
async function fill(database: Database, every: number) {
  const payload = { request: declaration(1), response: { decision: 'ALLOW', lines: [] } }
  const canonicalPayload = canonicalJson(payload)
  const actor = { keyId: 'bench', name: 'bench', role: 'screener' as const }
  const at = new Date().toISOString()
  await appendLog(
    database.db,
    EVENTS,
    (n) => ({
      action: 'screening.created',
      actor,
      subject: { screeningId: `bench-${n + 1}` },
      decision: 'ALLOW',
      registryVersion: '2024.1',
      payload,
      canonicalPayload,
    }),
    { at: () => at },
  )
  const signer = new CheckpointSigner(generateSigningKey())
  await signer.register(database.db)
  const rows = await queryRows<{ sequence: string | number; hash: string }>(
    database.db,
    sql`select sequence, hash from audit_events where sequence % ${every} = 0 order by sequence`,
  )
  for (let i = 0; i < rows.length; i += 500)
    await database.db.transaction(async (tx) => {
      for (const r of rows.slice(i, i + 500))
        await tx.execute(insertCheckpointSql(signer.sign({ sequence: Number(r.sequence), hash: r.hash }, at)))
    })
  return rows.length
}

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const started = performance.now()
  const result = await run()
  return { result, seconds: (performance.now() - started) / 1000 }
}

const driver = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'
console.log(
  `verify with checkpoints, ${driver}, ${fmt(EVENTS)} events, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
)
for (const every of [Number(process.env.BENCH_VERIFY_BATCH ?? 1), 50]) {
  const store = await scratchStore(driver, 'popscreen-verify-bench')
  const database = await openDatabase({
    databaseUrl: store.env.DATABASE_URL,
    dataDir: store.env.DATA_DIR ?? 'memory://',
  })
  try {
    await database.migrate()
    const checkpoints = await fill(database, every)
    // Once each, untimed, so both timed runs read warm pages; then alternated.
    await walkOnly(database.db)
    const walk: number[] = []
    const held: number[] = []
    let verdict = null
    for (let round = 0; round < 2; round++) {
      walk.push((await timed(() => walkOnly(database.db))).seconds)
      const run = await timed(() => verifyStoredChain(database.db, {}))
      held.push(run.seconds)
      verdict = run.result
    }
    if (!verdict?.ok || verdict.checkpointsChecked !== checkpoints) throw new Error(JSON.stringify(verdict))
    const best = (xs: number[]) => Math.min(...xs)
    console.log(
      `  a checkpoint every ${every} event(s) (${fmt(checkpoints)}): chain walk alone ${fmt(EVENTS / best(walk))} events/s, ` +
        `with the checkpoints ${fmt(EVENTS / best(held))} events/s (${(best(held) / best(walk)).toFixed(2)}× the time)`,
    )
  } finally {
    await database.close()
    await store.cleanup()
  }
}
console.log(
  `load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
)
