import crypto from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifySignature } from '../../src/core/webhook-signature.ts'
import { SCREENING_REQUEST_EXAMPLES } from '../../src/http/docs/examples/screening-requests.ts'
import { createTestApp, type TestApp, usingPostgres } from '../helpers/test-app.ts'

const ALLOW = SCREENING_REQUEST_EXAMPLES['allow-everyday-import']!.value
const REVIEW = SCREENING_REQUEST_EXAMPLES['review-hcbd-reference-standard-for-lab']!.value
const RESOLUTION = { outcome: 'ALLOW', reasonCode: 'PERMIT_VERIFIED', note: '许可证已核实 permit checked' }
const ALL_TYPES = ['screening.created', 'review.opened', 'review.resolved', 'screening.rescreened']

/** Fast retries so a test sees several attempts: the schedule is configuration (README, Configuration). */
const FAST_RETRIES = {
  WEBHOOK_POLL_MS: '50',
  WEBHOOK_TIMEOUT_MS: '400',
  WEBHOOK_RETRY_BASE_MS: '50',
  WEBHOOK_RETRY_MAX_MS: '200',
}
/** The receivers listen on 127.0.0.1, which webhooks may not target unless the operator allows it. */
const FAST = { ...FAST_RETRIES, WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8' }

type Behaviour = 'refuse' | 'hang' | 'accept'

interface Received {
  body: string
  headers: http.IncomingHttpHeaders
  answered: Behaviour
}

/** A webhook receiver on 127.0.0.1 that answers each request as the script says (then `then`). */
async function receiver(script: Behaviour[], then: Behaviour = 'accept') {
  const received: Received[] = []
  const hanging = new Set<http.ServerResponse>()
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const answered = script.shift() ?? then
      received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers, answered })
      if (answered === 'accept') res.writeHead(204).end()
      else if (answered === 'refuse') res.writeHead(503, { 'content-type': 'text/plain' }).end('busy')
      else hanging.add(res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks/popscreen?source=test`,
    received,
    accepted: () => received.filter((r) => r.answered === 'accept'),
    /** From now on, answer every request so. */
    answerAll(b: Behaviour) {
      then = b
    },
    hanging,
    close: async () => {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ceilingMs = 30_000) {
  const until = Date.now() + ceilingMs
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`waited over ${ceilingMs} ms for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

type Role = 'screener' | 'officer' | 'auditor' | 'admin'
const call = async (
  t: TestApp,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  payload?: unknown,
  role: Role = 'admin',
) =>
  t.app.inject({
    method,
    url,
    headers: await t.auth(role),
    ...(payload === undefined ? {} : { payload: payload as object }),
  })

async function subscribe(t: TestApp, url: string, events = ALL_TYPES) {
  const res = await call(t, 'POST', '/v1/webhooks', { url, events, organisation: 'default' })
  expect(res.statusCode).toBe(201)
  return res.json() as { id: string; secret: string }
}

async function deliveries(t: TestApp, id: string) {
  const res = await call(t, 'GET', `/v1/webhooks/${id}/deliveries?limit=100`)
  expect(res.statusCode).toBe(200)
  return (
    res.json() as {
      items: {
        eventId: string
        eventType: string
        status: string
        attempts: { statusCode: number | null; error: string | null }[]
      }[]
    }
  ).items.reverse()
}

/** What a receiver does with the raw body and the header, in a few lines (README shows the same). */
function receiverAccepts(secret: string, header: string, rawBody: string): boolean {
  const { t, v1 } = Object.fromEntries(header.split(',').map((kv) => kv.split('=')))
  if (!t || !v1 || Math.abs(Date.now() / 1000 - Number(t)) > 300) return false
  const expected = crypto.createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex')
  return v1.length === expected.length && crypto.timingSafeEqual(Buffer.from(v1), Buffer.from(expected))
}

describe('webhook subscriptions', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp(FAST)
  })
  afterAll(() => t.close())

  it('answers the secret once, and never again', async () => {
    const res = await call(t, 'POST', '/v1/webhooks', {
      url: 'https://customs.example.cn/popscreen/events',
      events: ['review.resolved', 'review.resolved'],
      organisation: 'default',
    })
    expect(res.statusCode).toBe(201)
    expect(res.headers['cache-control']).toBe('no-store')
    const created = res.json()
    expect(created).toMatchObject({ events: ['review.resolved'], organisation: 'default' })
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/)
    const one = (await call(t, 'GET', `/v1/webhooks/${created.id}`)).json()
    const list = (await call(t, 'GET', '/v1/webhooks')).json()
    expect(one).not.toHaveProperty('secret')
    expect(list.items.find((w: { id: string }) => w.id === created.id)).toEqual(one)
    expect(JSON.stringify(list)).not.toContain(created.secret)
    // Creation and deletion are audited (never the secret).
    const deleted = await call(t, 'DELETE', `/v1/webhooks/${created.id}`)
    expect(deleted.json()).toEqual(one)
    expect((await call(t, 'GET', `/v1/webhooks/${created.id}`)).statusCode).toBe(404)
    expect((await call(t, 'GET', `/v1/webhooks/${created.id}/deliveries`)).statusCode).toBe(404)
    expect((await call(t, 'DELETE', `/v1/webhooks/${created.id}`)).statusCode).toBe(404)
    const audit = (await call(t, 'GET', '/v1/audit/events?action=webhook.created')).body
    expect(audit).toContain(created.id)
    expect(audit).not.toContain(created.secret)
  })

  it.each([
    ['ftp://customs.example.cn/in', '/url', 'UNSUPPORTED_URL'],
    ['file:///etc/passwd', '/url', 'UNSUPPORTED_URL'],
    ['javascript:alert(1)', '/url', 'UNSUPPORTED_URL'],
    ['customs.example.cn/hook', '/url', 'UNSUPPORTED_URL'],
  ])('refuses url %s with 422 naming the field', async (url, path, code) => {
    const res = await call(t, 'POST', '/v1/webhooks', { url, events: ['review.resolved'], organisation: 'x' })
    expect(res.statusCode).toBe(422)
    expect(res.json().errors).toEqual([expect.objectContaining({ path, code })])
  })

  it('refuses an empty or unknown event list, a missing organisation, and non-admins', async () => {
    const url = 'https://customs.example.cn/hook'
    const bad = async (body: unknown) => (await call(t, 'POST', '/v1/webhooks', body)).json().errors
    expect(await bad({ url, events: [], organisation: 'x' })).toEqual([
      expect.objectContaining({ path: '/events' }),
    ])
    expect(await bad({ url, events: ['screening.deleted'], organisation: 'x' })).toEqual([
      expect.objectContaining({ path: '/events/0' }),
    ])
    expect(await bad({ url, events: ['review.resolved'] })).toEqual([
      expect.objectContaining({ path: '/organisation', code: 'REQUIRED' }),
    ])
    for (const role of ['screener', 'officer', 'auditor'] as const)
      expect(
        (await call(t, 'POST', '/v1/webhooks', { url, events: ['review.resolved'], organisation: 'x' }, role))
          .statusCode,
      ).toBe(403)
  })
})

describe('webhook targets: loopback, private, link-local and other non-public addresses', () => {
  let t: TestApp
  beforeAll(async () => {
    // No WEBHOOK_ALLOWED_NETWORKS: the default. The worker is never started here: nothing is sent.
    t = await createTestApp(FAST_RETRIES)
  })
  afterAll(() => t.close())

  it.each([
    ['http://127.0.0.1:8080/hook', /127\.0\.0\.1 is a loopback address/],
    ['http://10.1.2.3/hook', /10\.1\.2\.3 is a private \(RFC 1918\) address/],
    ['http://192.168.1.20/hook', /private/],
    ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a link-local address/],
    ['http://[::1]:8080/hook', /::1 is a loopback address/],
    ['http://[fd12:3456::1]/hook', /unique-local/],
    ['http://[::ffff:127.0.0.1]/hook', /loopback/],
    ['http://0x7f.1/hook', /127\.0\.0\.1 is a loopback address/],
    ['http://0.0.0.0:3000/hook', /unspecified/],
    ['http://100.64.0.1/hook', /carrier-grade NAT/],
    ['http://localhost:8080/hook', /localhost resolves to (127\.0\.0\.1|::1), a loopback address/],
  ])('refuses %s at registration, naming /url, and stores nothing', async (url, why) => {
    const before = (await call(t, 'GET', '/v1/webhooks')).json().items.length
    const res = await call(t, 'POST', '/v1/webhooks', { url, events: ['review.resolved'], organisation: 'x' })
    expect(res.statusCode).toBe(422)
    const problem = res.json()
    expect(problem).toMatchObject({ code: 'WEBHOOK_TARGET_FORBIDDEN', status: 422 })
    expect(problem.errors).toEqual([
      expect.objectContaining({
        path: '/url',
        code: 'TARGET_NOT_ALLOWED',
        message: expect.stringMatching(why),
      }),
    ])
    expect(problem.errors[0].message).toContain('WEBHOOK_ALLOWED_NETWORKS')
    expect((await call(t, 'GET', '/v1/webhooks')).json().items.length).toBe(before)
  })

  it('refuses a host name that resolves to a private address, and lets in one that resolves to public ones', async () => {
    const targets = t.runtime.services.webhookTargets
    const system = targets.resolver
    try {
      targets.resolver = async (host) =>
        host === 'intranet.example.test'
          ? [
              { address: '93.184.215.14', family: 4 },
              { address: '10.0.0.5', family: 4 },
            ]
          : [{ address: '2606:4700::6810:84e5', family: 6 }]
      const refused = await call(t, 'POST', '/v1/webhooks', {
        url: 'https://intranet.example.test/hook',
        events: ['review.resolved'],
        organisation: 'x',
      })
      expect(refused.statusCode).toBe(422)
      expect(refused.json().errors[0].message).toMatch(
        /intranet\.example\.test resolves to 10\.0\.0\.5, a private \(RFC 1918\) address/,
      )
      const accepted = await call(t, 'POST', '/v1/webhooks', {
        url: 'https://declare.example.test/hook',
        events: ['review.resolved'],
        organisation: 'x',
      })
      expect(accepted.statusCode).toBe(201)
      await call(t, 'DELETE', `/v1/webhooks/${accepted.json().id}`)
    } finally {
      targets.resolver = system
    }
  })
})

describe('a webhook whose name resolves to a refused address at delivery', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp(FAST_RETRIES)
  })
  afterAll(() => t.close())

  it('is refused without a connection and recorded as a failed attempt, however it was registered', async () => {
    const r = await receiver([])
    const port = new URL(r.url).port
    const targets = t.runtime.services.webhookTargets
    // DNS rebinding: the name resolves to a public address when registered, to loopback afterwards. Only
    // the first answer is public, so no later look-up could send anything off this machine.
    let lookups = 0
    targets.resolver = async (host) => {
      if (host !== 'hooks.rebind.test') throw Object.assign(new Error('no such name'), { code: 'ENOTFOUND' })
      return lookups++ === 0
        ? [{ address: '93.184.215.14', family: 4 }]
        : [{ address: '127.0.0.1', family: 4 }]
    }
    try {
      const rebound = await subscribe(t, `http://hooks.rebind.test:${port}/hook`, ['screening.created'])
      expect(lookups).toBe(1)
      // A subscription stored before targets were checked: a literal loopback URL put in the table.
      const literal = await subscribe(t, `http://hooks.unresolved.test:${port}/hook`, ['screening.created'])
      await t.runtime.database.db.execute(
        sql`update webhook_subscriptions set url = ${`http://127.0.0.1:${port}/hook`} where id = ${literal.id}`,
      )
      t.runtime.services.webhookWorker.start()
      await call(t, 'POST', '/v1/screenings', ALLOW, 'screener')
      for (const [hook, why] of [
        [rebound, 'target not allowed: hooks.rebind.test resolves to 127.0.0.1, a loopback address'],
        [literal, 'target not allowed: 127.0.0.1 is a loopback address'],
      ] as const) {
        await waitFor('two refused attempts', async () => {
          const [d] = await deliveries(t, hook.id)
          return (d?.attempts.length ?? 0) >= 2
        })
        const [d] = await deliveries(t, hook.id)
        expect(d!.status).toBe('pending')
        expect(d!.attempts[0]).toMatchObject({
          statusCode: null,
          error: `${why} (not in WEBHOOK_ALLOWED_NETWORKS)`,
        })
        await call(t, 'DELETE', `/v1/webhooks/${hook.id}`)
      }
      expect(r.received).toEqual([])
    } finally {
      await r.close()
    }
  })
})

describe('WEBHOOK_ALLOWED_NETWORKS', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp({ ...FAST_RETRIES, WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8, ::1' })
    t.runtime.services.webhookWorker.start()
  })
  afterAll(() => t.close())

  it('lets the listed networks in, at registration and delivery, and no other', async () => {
    const r = await receiver([])
    try {
      const port = new URL(r.url).port
      const local = await call(t, 'POST', '/v1/webhooks', {
        url: `http://localhost:${port}/hook`,
        events: ['review.resolved'],
        organisation: 'default',
      })
      expect(local.statusCode, local.body).toBe(201)
      await call(t, 'DELETE', `/v1/webhooks/${local.json().id}`)
      for (const url of ['http://10.1.2.3/hook', 'http://169.254.169.254/', 'http://[fd00::1]/'])
        expect(
          (
            await call(t, 'POST', '/v1/webhooks', { url, events: ['review.resolved'], organisation: 'x' })
          ).json(),
        ).toMatchObject({ code: 'WEBHOOK_TARGET_FORBIDDEN' })

      t.runtime.services.webhookTargets.resolver = async () => [{ address: '127.0.0.1', family: 4 }]
      const hook = await subscribe(t, `http://hooks.internal.test:${port}/hook`, ['screening.created'])
      const screened = (await call(t, 'POST', '/v1/screenings', ALLOW, 'screener')).json()
      await waitFor('the delivery', () => r.accepted().length >= 1)
      expect(JSON.parse(r.accepted()[0]!.body).screeningId).toBe(screened.screeningId)
      expect(r.accepted()[0]!.headers.host).toBe(`hooks.internal.test:${port}`)
      await call(t, 'DELETE', `/v1/webhooks/${hook.id}`)
    } finally {
      await r.close()
    }
  })
})

describe('webhook deliveries', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp(FAST)
    t.runtime.services.webhookWorker.start()
  })
  afterAll(() => t.close())

  it('retries a refusal and a timeout, then delivers every event in order, signed', async () => {
    const r = await receiver(['refuse', 'hang'])
    try {
      const hook = await subscribe(t, r.url)
      const screened = (await call(t, 'POST', '/v1/screenings', REVIEW, 'screener')).json()
      await waitFor('the screening and its review case', () => r.accepted().length >= 2)
      const { reviewId } = (await call(t, 'GET', `/v1/screenings/${screened.screeningId}`)).json()
      await call(t, 'POST', `/v1/reviews/${reviewId}/resolve`, RESOLUTION, 'officer')
      await waitFor('the resolution', () => r.accepted().length >= 3)

      // Received: refused, timed out, then the same event accepted; then the next two, each once.
      const events = r.received.map((x) => JSON.parse(x.body))
      expect(r.received.map((x) => x.answered)).toEqual(['refuse', 'hang', 'accept', 'accept', 'accept'])
      expect(events.map((e) => e.type)).toEqual([
        'screening.created',
        'screening.created',
        'screening.created',
        'review.opened',
        'review.resolved',
      ])
      expect(new Set(events.slice(0, 3).map((e) => e.id)).size).toBe(1)
      expect(events[4]).toMatchObject({ screeningId: screened.screeningId, reviewId, decision: 'ALLOW' })

      // Each request is signed as a receiver checks it, over the raw body and the time.
      for (const x of r.received) {
        const header = String(x.headers['popscreen-signature'])
        expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/)
        expect(receiverAccepts(hook.secret, header, x.body)).toBe(true)
        expect(verifySignature(hook.secret, header, x.body)).toBe(true)
        expect(receiverAccepts(hook.secret, header, `${x.body} `)).toBe(false)
        expect(receiverAccepts('whsec_someone-else', header, x.body)).toBe(false)
        expect(x.headers['content-type']).toBe('application/json')
        expect(x.headers['popscreen-event-id']).toBe(JSON.parse(x.body).id)
      }

      // Every attempt is listed (the worker records an answer just after the receiver gave it).
      await waitFor('three deliveries marked delivered', async () =>
        (await deliveries(t, hook.id)).every((d) => d.status === 'delivered'),
      )
      const listed = await deliveries(t, hook.id)
      expect(listed.map((d) => [d.eventType, d.status])).toEqual([
        ['screening.created', 'delivered'],
        ['review.opened', 'delivered'],
        ['review.resolved', 'delivered'],
      ])
      expect(listed[0]!.attempts).toEqual([
        expect.objectContaining({ statusCode: 503, error: 'answered HTTP 503' }),
        expect.objectContaining({ statusCode: null, error: 'no answer within 400 ms' }),
        expect.objectContaining({ statusCode: 204, error: null }),
      ])
      expect(listed[1]!.attempts).toHaveLength(1)
    } finally {
      await r.close()
    }
  })

  it('sends a subscription its organisation’s events only', async () => {
    const r = await receiver([])
    try {
      const res = await call(t, 'POST', '/v1/webhooks', {
        url: r.url,
        events: ['screening.created'],
        organisation: 'hook-org-b',
      })
      const hook = res.json()
      const screen = async (organisation: string) =>
        (
          await t.app.inject({
            method: 'POST',
            url: '/v1/screenings',
            headers: { authorization: `Bearer ${await t.key('screener', organisation, organisation)}` },
            payload: ALLOW,
          })
        ).json().screeningId as string
      await screen('hook-org-a')
      const ofB = await screen('hook-org-b')
      await waitFor('a delivery', () => r.accepted().length >= 1)
      // In commit order org A's screening came first: had it been sent, it would be the first received.
      expect(r.received.map((x) => JSON.parse(x.body).screeningId)).toEqual([ofB])
      await call(t, 'DELETE', `/v1/webhooks/${hook.id}`)
    } finally {
      await r.close()
    }
  })

  it('retries a refused connection, and never holds up screening while a receiver hangs', async () => {
    const r = await receiver([], 'hang')
    const closed = await receiver([])
    await closed.close() // nothing listens on its port any more
    try {
      const hanging = await subscribe(t, r.url, ['screening.created'])
      const refused = await subscribe(t, closed.url, ['screening.created'])
      await call(t, 'POST', '/v1/screenings', ALLOW, 'screener')
      await waitFor('a request held by the hanging receiver', () => r.hanging.size > 0)
      // While the receiver holds its request, screenings are answered as ever.
      for (let i = 0; i < 3; i++)
        expect((await call(t, 'POST', '/v1/screenings', ALLOW, 'screener')).statusCode).toBe(200)
      expect(r.received.every((x) => x.answered === 'hang')).toBe(true)
      await waitFor('two refused attempts', async () => {
        const [d] = await deliveries(t, refused.id)
        return (d?.attempts.length ?? 0) >= 2
      })
      const [d] = await deliveries(t, refused.id)
      expect(d!.status).toBe('pending')
      expect(d!.attempts[0]).toMatchObject({ statusCode: null, error: expect.stringMatching(/ECONNREFUSED/) })
      await call(t, 'DELETE', `/v1/webhooks/${hanging.id}`)
      await call(t, 'DELETE', `/v1/webhooks/${refused.id}`)
    } finally {
      await r.close()
    }
  })
})

describe('a restart', () => {
  it('carries on with the deliveries the previous process left', async () => {
    const dir = usingPostgres ? null : mkdtempSync(join(tmpdir(), 'popscreen-webhooks-'))
    const r = await receiver([], 'refuse')
    const first = await createTestApp({ ...FAST, ...(dir ? { DATA_DIR: dir } : {}) })
    let second: TestApp | null = null
    try {
      first.runtime.services.webhookWorker.start()
      const hook = await subscribe(first, r.url, ['screening.created'])
      const screened = (await call(first, 'POST', '/v1/screenings', ALLOW, 'screener')).json()
      await waitFor(
        'a refused attempt, recorded',
        async () => ((await deliveries(first, hook.id))[0]?.attempts.length ?? 0) >= 1,
      )
      await first.app.close()
      await first.runtime.close()

      r.answerAll('accept')
      second = await createTestApp({
        ...FAST,
        ...(dir ? { DATA_DIR: dir } : { DATABASE_URL: first.databaseUrl! }),
      })
      // What the first process recorded; an attempt still in flight when it stopped is not among them.
      const before = (await deliveries(second, hook.id))[0]!.attempts.length
      expect(before).toBeGreaterThanOrEqual(1)
      second.runtime.services.webhookWorker.start()
      await waitFor('the delivery after the restart', () => r.accepted().length >= 1)
      expect(r.accepted().map((x) => JSON.parse(x.body).screeningId)).toEqual([screened.screeningId])
      await waitFor('the delivery marked delivered', async () =>
        (await deliveries(second!, hook.id)).every((d) => d.status === 'delivered'),
      )
      const [d] = await deliveries(second, hook.id)
      expect(d!.status).toBe('delivered')
      expect(d!.attempts.length).toBe(before + 1)
      expect(d!.attempts.at(-1)).toMatchObject({ statusCode: 204 })
    } finally {
      await r.close()
      if (second) await second.close()
      await first.dropDatabase()
      if (dir) rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe.runIf(usingPostgres)('two instances on one PostgreSQL', () => {
  it('deliver each event once, in order', async () => {
    const r = await receiver([])
    const a = await createTestApp(FAST)
    const b = await createTestApp({ ...FAST, DATABASE_URL: a.databaseUrl! })
    try {
      a.runtime.services.webhookWorker.start()
      b.runtime.services.webhookWorker.start()
      const hooks = [
        await subscribe(a, r.url, ['screening.created']),
        await subscribe(b, r.url, ['screening.created']),
      ]
      const ids: string[] = []
      for (let i = 0; i < 10; i++) {
        const app = i % 2 === 0 ? a : b
        ids.push((await call(app, 'POST', '/v1/screenings', ALLOW, 'screener')).json().screeningId)
      }
      await waitFor('every event at both subscriptions', () => r.accepted().length >= 20)
      await new Promise((resolve) => setTimeout(resolve, 300)) // a duplicate would arrive by now
      for (const hook of hooks) {
        const got = r
          .accepted()
          .filter((x) => receiverAccepts(hook.secret, String(x.headers['popscreen-signature']), x.body))
          .map((x) => JSON.parse(x.body).screeningId)
        expect(got).toEqual(ids)
      }
    } finally {
      await r.close()
      await b.close()
      await a.close()
    }
  })
})
