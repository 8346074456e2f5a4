/**
 * Issue 22 item 9: a caller's X-Request-Id became the request's id, and so the audit event's `requestId`:
 * a caller chose what the audit trail called its requests (the same id for all of them, if it liked). The
 * server's own id is the request id now; the caller's is kept apart, as `clientRequestId`.
 */
import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

const logLines: string[] = []
const sink = new Writable({
  write(chunk, _enc, done) {
    logLines.push(String(chunk))
    done()
  },
})

let t: TestApp
beforeAll(async () => {
  t = await createTestApp({}, pino({ level: 'info' }, sink))
})
afterAll(() => t.close())

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const CALLER_ID = 'caller-chosen-0001'

const events = async (action: string) =>
  (await t.app.inject({ url: `/v1/audit/events?action=${action}`, headers: await t.auth('auditor') })).body
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))

describe('request ids', () => {
  it('answers with its own id whatever the caller sends, in the header and in problems', async () => {
    const res = await t.app.inject({ url: '/health/live', headers: { 'x-request-id': CALLER_ID } })
    expect(res.headers['x-request-id']).toMatch(UUID)
    const refused = await t.app.inject({ url: '/v1/substances', headers: { 'x-request-id': CALLER_ID } })
    expect(refused.statusCode).toBe(401)
    expect(refused.json().requestId).toBe(refused.headers['x-request-id'])
    expect(refused.json().requestId).toMatch(UUID)
  })

  it('records the server’s id as the audit requestId and the caller’s as clientRequestId', async () => {
    const screen = async (id: string) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/screenings',
        headers: { ...(await t.auth('screener')), 'x-request-id': CALLER_ID },
        payload: { declaration: { id, direction: 'import' }, lines: [{ lineNo: 1, hsCode: '290811' }] },
      })
    const [first, second] = [await screen('RID-1'), await screen('RID-2')]
    const screened = await events('screening.created')
    for (const res of [first, second]) {
      const event = screened.find((e) => e.subject.screeningId === res.json().screeningId)
      expect(event.requestId).toBe(res.headers['x-request-id'])
      expect(event.requestId).toMatch(UUID)
      expect(event.payload.clientRequestId).toBe(CALLER_ID)
    }
    // The same caller id twice: two requests, two ids.
    expect(first.headers['x-request-id']).not.toBe(second.headers['x-request-id'])
    // A request without one records none.
    const plain = await t.app.inject({
      method: 'POST',
      url: '/v1/screenings',
      headers: await t.auth('screener'),
      payload: {
        declaration: { id: 'RID-3', direction: 'import' },
        lines: [{ lineNo: 1, hsCode: '290811' }],
      },
    })
    const event = (await events('screening.created')).find(
      (e) => e.subject.screeningId === plain.json().screeningId,
    )
    expect(event.payload).not.toHaveProperty('clientRequestId')

    const made = await t.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: { ...(await t.auth('admin')), 'x-request-id': 'caller-key-0002' },
      payload: { role: 'auditor', name: 'rid' },
    })
    const created = (await events('key.created')).find((e) => e.subject.keyId === made.json().id)
    expect(created).toMatchObject({
      requestId: made.headers['x-request-id'],
      payload: { clientRequestId: 'caller-key-0002' },
    })
    // Old and new events verify together: the added member is part of the hashed payload.
    const verdict = (await t.app.inject({ url: '/v1/audit/verify', headers: await t.auth('auditor') })).json()
    expect(verdict).toMatchObject({ ok: true })
  })

  it('logs both ids', async () => {
    const res = await t.app.inject({ url: '/health/live', headers: { 'x-request-id': 'caller-log-0003' } })
    const line = logLines.map((l) => JSON.parse(l)).find((l) => l.clientRequestId === 'caller-log-0003')
    expect(line).toMatchObject({ reqId: res.headers['x-request-id'] })
  })
})
