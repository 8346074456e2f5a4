import { EventEmitter } from 'node:events'
import type { FastifyReply } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

// A year's trade report keeps two backends busy for seconds, the first on the pool screenings use: reports
// take a long-read slot as the exports do, so a loop of report requests cannot hold every connection.
describe('the trade report takes a long-read slot', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp({ EXPORT_CONCURRENCY: '1' })
  })
  afterAll(() => t.close())

  const report = async () =>
    t.app.inject({
      method: 'GET',
      url: '/v1/reports/pops-trade?from=2025-01-01&to=2025-12-31',
      headers: await t.auth('officer'),
    })

  it('answers 503 LONG_READS_BUSY while the slots are taken, and the report once one is free', async () => {
    const other = new EventEmitter()
    t.app.longReads.hold({ raw: other } as unknown as FastifyReply)
    const busy = await report()
    expect(busy.statusCode).toBe(503)
    expect(busy.json().code).toBe('LONG_READS_BUSY')
    expect(busy.headers['retry-after']).toBe('30')
    other.emit('close')
    const ok = await report()
    expect(ok.statusCode).toBe(200)
    // Its own slot is given back when its answer closes: the next one is served too.
    expect((await report()).statusCode).toBe(200)
  })
})
