import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { loadConfig } from '../../src/config.ts'
import { openRuntime } from '../../src/runtime.ts'
import type { Role } from '../../src/services/actor.ts'
import { cliActor } from '../../src/services/actor.ts'

/** A free port on 127.0.0.1, so a restarted server can take the same address. */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

/** Creates API keys straight in the database a server will use, before the server starts. */
export async function createKeys(env: Record<string, string>, roles: Role[]): Promise<Record<Role, string>> {
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: 'memory://', ...env })
  const runtime = await openRuntime(config)
  try {
    const keys = {} as Record<Role, string>
    for (const role of roles)
      keys[role] = (await runtime.services.keys.create(role, `${role}-faults`, cliActor())).secret
    return keys
  } finally {
    await runtime.close()
  }
}

export interface ServerProcess {
  baseUrl: string
  child: ChildProcess
  /** stderr and stdout of the process, for failure messages. */
  output(): string
  exited: Promise<number | null>
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** Starts `src/server.ts` as its own process, the way `npm start` does, and waits until it is ready. */
export async function startServer(env: Record<string, string>, port: number): Promise<ServerProcess> {
  // The test runner's DATABASE_URL must not leak in: a PGlite server gets none.
  const { DATABASE_URL: _ignored, ...inherited } = process.env
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...inherited, LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (d) => {
    output += d
  })
  child.stderr?.on('data', (d) => {
    output += d
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const baseUrl = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`)
    try {
      const res = await fetch(`${baseUrl}/health/ready`)
      if (res.status === 200) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`server not ready within 60 s:\n${output}`)
    }
    await sleep(100)
  }
  return {
    baseUrl,
    child,
    output: () => output,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}

export interface LoadResult {
  status: number | 'network-error'
  screeningId?: string
  /** The problem `code` of an error answer, or the network error's message. */
  detail?: string
}

export const oneLine = (n: number) => ({
  declaration: { id: `FAULT-${n}`, direction: 'import' },
  lines: [
    {
      lineNo: 1,
      hsCode: n % 2 ? '2903.29.00' : '3907.99',
      casNumbers: n % 2 ? ['87-68-3'] : [],
      description: n % 3 ? '阻燃剂 聚酯切片' : 'polyester chips',
    },
  ],
})

/**
 * Posts screenings from `concurrency` workers until `stop()` returns true or `max` requests were sent.
 * Network errors are recorded, not thrown: killing the server mid-request is the point.
 */
export async function runLoad(options: {
  baseUrl: () => string
  key: string
  concurrency: number
  max: number
  stop: () => boolean
  /** Filled as answers arrive, so a test can act on progress. */
  results: LoadResult[]
}): Promise<LoadResult[]> {
  const { results } = options
  let sent = 0
  const worker = async () => {
    while (sent < options.max && !options.stop()) {
      const n = sent++
      try {
        const res = await fetch(`${options.baseUrl()}/v1/screenings`, {
          method: 'POST',
          headers: { authorization: `Bearer ${options.key}`, 'content-type': 'application/json' },
          body: JSON.stringify(oneLine(n)),
          signal: AbortSignal.timeout(15_000),
        })
        const body = (await res.json().catch(() => ({}))) as { screeningId?: string; code?: string }
        results.push({ status: res.status, screeningId: body.screeningId, detail: body.code })
      } catch (err) {
        const cause = (err as { cause?: { message?: string } }).cause?.message
        results.push({ status: 'network-error', detail: cause ?? String(err) })
        await sleep(20)
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  return results
}

/** Reads the whole audit trail through the export API: screening ids and whether sequences are gap-free. */
export async function auditFacts(
  baseUrl: string,
  auditorKey: string,
): Promise<{ screeningIds: Set<string>; count: number; gapFree: boolean; duplicates: number }> {
  const res = await fetch(`${baseUrl}/v1/audit/events?format=ndjson`, {
    headers: { authorization: `Bearer ${auditorKey}` },
  })
  if (res.status !== 200) throw new Error(`export answered ${res.status}: ${await res.text()}`)
  const events = (await res.text())
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { sequence: number; action: string; subject: { screeningId?: string } })
  const screeningIds = new Set<string>()
  let duplicates = 0
  for (const e of events) {
    const sid = e.subject.screeningId
    if (e.action !== 'screening.created' || !sid) continue
    if (screeningIds.has(sid)) duplicates++
    screeningIds.add(sid)
  }
  return {
    screeningIds,
    count: events.length,
    gapFree: events.every((e, i) => e.sequence === i + 1),
    duplicates,
  }
}

export async function verifyOnline(baseUrl: string, auditorKey: string): Promise<unknown> {
  const res = await fetch(`${baseUrl}/v1/audit/verify`, {
    headers: { authorization: `Bearer ${auditorKey}` },
  })
  return res.json()
}

export const waitUntil = async (predicate: () => boolean, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs
  while (!predicate() && Date.now() < deadline) await sleep(20)
}
