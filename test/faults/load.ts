/** Load for the fault suite: screenings from concurrent workers, and what the audit log says afterwards. */
import { setTimeout as sleep } from 'node:timers/promises'

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

export interface Load {
  /** Filled as answers arrive, so a test can act on progress. */
  readonly results: LoadResult[]
  /** How many answers so far were 200. */
  ok(): number
  /** Resolves when every worker has finished (`max` sent, or stopped). */
  readonly finished: Promise<LoadResult[]>
  /** Tells the workers to stop after their current request and waits for them. */
  stop(): Promise<LoadResult[]>
}

/**
 * Posts screenings from `concurrency` workers until stopped or `max` requests were sent. Network errors
 * are recorded, not thrown: killing the server mid-request is the point.
 */
export function startLoad(options: { baseUrl: string; key: string; concurrency: number; max: number }): Load {
  const results: LoadResult[] = []
  let sent = 0
  let stopped = false
  const worker = async () => {
    while (sent < options.max && !stopped) {
      const n = sent++
      try {
        const res = await fetch(`${options.baseUrl}/v1/screenings`, {
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
  const finished = Promise.all(Array.from({ length: options.concurrency }, worker)).then(() => results)
  return {
    results,
    ok: () => results.reduce((n, r) => n + (r.status === 200 ? 1 : 0), 0),
    finished,
    stop: () => {
      stopped = true
      return finished
    },
  }
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
