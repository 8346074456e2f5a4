import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { KeyService } from '../../src/services/key-service.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp({ RATE_LIMIT_MAX: '3', RATE_LIMIT_IP_MAX: '1000' })
})
afterAll(() => t.close())

/** One raw HTTP/1.1 exchange, so the request line can be in absolute form. */
async function rawRequest(port: number, requestLine: string, headers: Record<string, string>) {
  const socket = connect(port, '127.0.0.1')
  const head = [
    requestLine,
    'Host: 127.0.0.1',
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ]
  socket.write(`${head.join('\r\n')}\r\n\r\n`)
  let answer = ''
  for await (const chunk of socket) answer += chunk
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1])
}

describe('rate limits', () => {
  it('counts absolute-form requests like any other: the limit follows the matched route', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = t.app.server.address() as { port: number }
    const headers = await t.auth('officer')
    const codes: number[] = []
    for (let i = 0; i < 5; i++)
      codes.push(
        await rawRequest(port, `GET http://127.0.0.1:${port}/v1/substances?cas=87-86-5 HTTP/1.1`, headers),
      )
    expect(codes).toEqual([200, 200, 200, 429, 429])
  })

  it('counts refused requests of a known key: 422 and 403 use up its budget', async () => {
    const headers = await t.auth('screener')
    const codes: number[] = []
    for (const request of [
      { method: 'POST' as const, url: '/v1/screenings', payload: { declaration: {} } },
      { method: 'GET' as const, url: '/v1/keys' },
      { method: 'GET' as const, url: '/v1/screenings?limit=0' },
      { method: 'GET' as const, url: '/v1/substances' },
    ])
      codes.push((await t.app.inject({ ...request, headers })).statusCode)
    expect(codes).toEqual([422, 403, 422, 429])
  })

  it('limits each client IP before authentication, so unknown keys count too', async () => {
    const perIp = await createTestApp({ RATE_LIMIT_IP_MAX: '4' })
    try {
      const codes: number[] = []
      for (let i = 0; i < 6; i++)
        codes.push(
          (
            await perIp.app.inject({
              url: '/v1/substances',
              headers: { authorization: `Bearer pops_${'A'.repeat(32)}` },
            })
          ).statusCode,
        )
      expect(codes).toEqual([401, 401, 401, 401, 429, 429])
      const limited = await perIp.app.inject({ url: '/v1/substances' })
      expect(limited.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' })
      expect(limited.headers['retry-after']).toBeDefined()
      // Probes stay outside every limit.
      expect((await perIp.app.inject({ url: '/health/live' })).statusCode).toBe(200)
    } finally {
      await perIp.close()
    }
  })
})

describe('API key checks', () => {
  it('refuses a token of the wrong shape without asking the database', async () => {
    const db = t.runtime.services.database.db
    const select = vi.spyOn(db, 'select')
    try {
      for (const token of [`pops_${'x'.repeat(100)}`, 'pops_short', `pops_${'x'.repeat(31)}!`, 'other'])
        expect(
          (await t.app.inject({ url: '/v1/substances', headers: { authorization: `Bearer ${token}` } }))
            .statusCode,
        ).toBe(401)
      expect(select).not.toHaveBeenCalled()
    } finally {
      select.mockRestore()
    }
  })

  it('keeps a key in use cached while a flood of unknown keys passes through the cache', async () => {
    // A cache that outlives the flood however slow the machine: this is about eviction, not expiry.
    const { signer } = t.runtime.services.keys as unknown as {
      signer: ConstructorParameters<typeof KeyService>[1]
    }
    const keys = new KeyService(t.runtime.services.database.db, signer, { cacheTtlMs: 3_600_000 })
    const secret = await t.key('auditor', 'lru')
    const unknown = (n: number) => `pops_${n.toString(36).padStart(32, 'Z')}`
    const flood = async (from: number, count: number) => {
      for (let i = from; i < from + count; i += 200)
        await Promise.all(Array.from({ length: 200 }, (_, j) => keys.authenticate(unknown(i + j))))
    }
    expect(await keys.authenticate(secret)).not.toBeNull()
    await flood(0, 5_000)
    expect(await keys.authenticate(secret)).not.toBeNull()
    await flood(5_000, 5_200)
    const select = vi.spyOn(t.runtime.services.database.db, 'select')
    try {
      expect(await keys.authenticate(secret)).not.toBeNull()
      expect(select).not.toHaveBeenCalled()
    } finally {
      select.mockRestore()
    }
  }, 300_000)
})

describe('security headers', () => {
  it('are on 401, 403 and 415 answers too', async () => {
    const answers = [
      await t.app.inject({ url: '/v1/substances' }),
      await t.app.inject({ url: '/v1/keys', headers: await t.auth('auditor') }),
      await t.app.inject({
        method: 'POST',
        url: '/v1/screenings',
        headers: { ...(await t.auth('officer')), 'content-type': 'application/json; charset=latin1' },
        payload: '{}',
      }),
    ]
    expect(answers.map((a) => a.statusCode)).toEqual([401, 403, 415])
    for (const res of answers) {
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect(res.headers['content-security-policy']).toContain("default-src 'none'")
      expect(res.headers['strict-transport-security']).toBeDefined()
    }
  })
})
