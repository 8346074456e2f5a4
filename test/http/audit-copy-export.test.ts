import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appendLog } from '../../scripts/append-log.ts'
import { copyOut } from '../../src/db/copy-out.ts'
import { cliActor } from '../../src/services/actor.ts'
import { eventTextToJsonLine, ndjsonCopyStatements, readEventPages } from '../../src/services/audit-log.ts'
import { createTestApp, type TestApp, usingPostgres } from '../helpers/test-app.ts'

/** On PostgreSQL the NDJSON export is written by COPY; elsewhere by the row reader it must equal. */
describe.runIf(usingPostgres)('NDJSON export through COPY', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
    // Members with what JSON and COPY escape differently: quotes, backslashes, control characters, CJK.
    const tricky = 'a "quoted" \\ back\\slash\ttab\nline\u0001 五氯苯酚 😀'
    await appendLog(
      t.runtime.services.database.db,
      6_000,
      (n) => {
        const [batch, i] = [Math.floor(n / 1_000), n % 1_000]
        return {
          action: i % 3 === 0 ? 'screening.created' : 'review.resolved',
          actor: { ...cliActor(), name: tricky },
          subject: { screeningId: `${batch}-${i}`, note: tricky },
          decision: i % 2 === 0 ? 'BLOCK' : null,
          registryVersion: i % 5 === 0 ? null : tricky,
          requestId: `req-${i}`,
          payload: {
            text: tricky,
            n: i,
            nested: { list: [1.5, -0, 1e21, true, null] },
            pad: 'x'.repeat(500),
          },
        }
      },
      {
        batchSize: 1_000,
        at: (batch) => new Date(Date.UTC(2026, 0, 1, 0, 0, batch, 7 * batch)).toISOString(),
      },
    )
  })
  afterAll(() => t.close())

  const viaCopy = async (query: string) =>
    (await t.app.inject({ url: `/v1/audit/events?format=ndjson${query}`, headers: await t.auth('auditor') }))
      .body

  const viaRows = async (filter: Parameters<typeof readEventPages>[1]) => {
    let text = ''
    for await (const page of readEventPages(t.runtime.services.database.db, filter))
      for (const event of page) text += eventTextToJsonLine(event)
    return text
  }

  it('writes the same bytes as the row reader, whole and filtered', async () => {
    expect(t.runtime.services.database.copyOut).toBeDefined()
    const whole = await viaCopy('')
    expect(whole.split('\n').length - 1).toBeGreaterThan(6_000)
    expect(whole).toBe(await viaRows({}))
    expect(await viaCopy('&action=screening.created&decision=BLOCK')).toBe(
      await viaRows({ action: 'screening.created', decision: 'BLOCK' }),
    )
    const from = new Date(Date.UTC(2026, 0, 1, 0, 0, 2)).toISOString()
    const to = new Date(Date.UTC(2026, 0, 1, 0, 0, 4)).toISOString()
    expect(await viaCopy(`&from=${from}&to=${to}`)).toBe(
      await viaRows({ from: new Date(from), to: new Date(to) }),
    )
  })

  it('gives the same bytes on one connection when the pool has none to spare', async () => {
    const statements = await ndjsonCopyStatements(t.runtime.services.database.db, {})
    expect(statements.length).toBeGreaterThan(2)
    const small = new pg.Pool({ connectionString: t.databaseUrl, max: 2 })
    try {
      const chunks: Buffer[] = []
      for await (const chunk of copyOut(small, statements)) {
        chunks.push(chunk)
        expect(small.totalCount).toBe(1)
      }
      expect(Buffer.concat(chunks).toString('utf8')).toBe(await viaRows({}))
    } finally {
      await small.end()
    }
  })

  it('a client that stops reading does not leave its connection in the pool', async () => {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' })
    const headers = await t.auth('auditor')
    // More abandoned exports than the pool has connections: a connection returned mid-COPY would break one.
    for (let i = 0; i < 15; i++) {
      const controller = new AbortController()
      const res = await fetch(`${address}/v1/audit/events?format=ndjson`, {
        headers,
        signal: controller.signal,
      })
      const reader = res.body!.getReader()
      await reader.read()
      controller.abort()
      await reader.closed.catch(() => {})
    }
    const verify = await fetch(`${address}/v1/audit/verify`, { headers })
    expect(verify.status).toBe(200)
    const whole = await (await fetch(`${address}/v1/audit/events?format=ndjson`, { headers })).text()
    expect(whole).toBe(await viaRows({}))
  })
})
