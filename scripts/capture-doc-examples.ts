/**
 * Writes src/http/docs/examples/answers.json: real answers of the application (built as in production,
 * on an in-memory database with the seeded registry) to the requests the API documentation shows, so
 * every response example in /docs is something popscreen really said. Run `npm run docs:examples` after
 * a change to an answer's shape or to the seeded registry, then `npm run openapi`.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import {
  CREATE_KEY_EXAMPLE,
  RESOLVE_REVIEW_EXAMPLES,
  SCREENING_QUERY_EXAMPLES,
} from '../src/http/docs/examples/other-requests.ts'
import { SCREENING_REQUEST_EXAMPLES } from '../src/http/docs/examples/screening-requests.ts'
import { projectFile } from '../src/project-files.ts'
import { openRuntime } from '../src/runtime.ts'
import { cliActor, type Role } from '../src/services/actor.ts'

const OUT = 'src/http/docs/examples/answers.json'
/** A registry version small enough to show as an example: the seeded one cut to HCBD. */
const EXAMPLE_VERSION = '2026.1'

const config = loadConfig({
  LOG_LEVEL: 'silent',
  DATA_DIR: 'memory://',
  MAX_EVENT_LOOP_DELAY_MS: '0',
  // The webhook example shows a refused attempt and its retry: retry at once.
  WEBHOOK_POLL_MS: '50',
  WEBHOOK_RETRY_BASE_MS: '50',
  WEBHOOK_RETRY_MAX_MS: '100',
  // Its receiver listens on 127.0.0.1, which webhooks may target only when allowed.
  WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
})
const runtime = await openRuntime(config)
const app = await buildApp({ config, services: runtime.services })
const secrets = new Map<Role, string>()
for (const role of ['screener', 'officer', 'auditor', 'admin'] as const)
  secrets.set(role, (await runtime.services.keys.create(role, `${role}-南宁`, cliActor())).secret)

interface Call {
  method?: 'GET' | 'POST' | 'DELETE'
  url: string
  role?: Role | null
  body?: unknown
  headers?: Record<string, string>
}
async function call({ method = 'GET', url, role = 'admin', body, headers = {} }: Call) {
  const res = await app.inject({
    method,
    url,
    headers: {
      ...(role ? { authorization: `Bearer ${secrets.get(role)}` } : {}),
      ...headers,
    },
    ...(body === undefined
      ? {}
      : typeof body === 'string' || Buffer.isBuffer(body)
        ? { body }
        : { payload: body as object }),
  })
  const type = String(res.headers['content-type'] ?? '')
  return { status: res.statusCode, body: /^application\/(problem\+)?json/.test(type) ? res.json() : res.body }
}
async function ok(c: Call, status = 200) {
  const res = await call(c)
  if (res.status !== status)
    throw new Error(`${c.method ?? 'GET'} ${c.url}: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body
}
async function problem(c: Call, status: number) {
  const res = await call(c)
  if (res.status !== status)
    throw new Error(`${c.method ?? 'GET'} ${c.url}: wanted ${status}, got ${res.status}`)
  return res.body
}
const firstItems = <T extends { items: unknown[] }>(page: T, n: number): T => ({
  ...page,
  items: page.items.slice(0, n),
})

const operations: Record<string, Record<string, unknown>> = {}
const problems: Record<string, Record<string, unknown>> = {}
const answer = (operationId: string, name: string, value: unknown) => {
  operations[operationId] ??= {}
  operations[operationId][name] = value
}
/** A refusal an operation gave; a second one of the same status is named by its code. */
const refusal = (operationId: string, status: number, value: unknown) => {
  problems[operationId] ??= {}
  const key =
    String(status) in problems[operationId] ? `${status}-${(value as { code: string }).code}` : status
  problems[operationId][key] = value
}

// Screen every request example as an officer would.
const screened = new Map<string, { screeningId: string }>()
for (const [name, example] of Object.entries(SCREENING_REQUEST_EXAMPLES)) {
  const body = (await ok({
    method: 'POST',
    url: '/v1/screenings',
    role: 'officer',
    body: example.value,
  })) as {
    screeningId: string
  }
  screened.set(name, body)
  answer('createScreening', name, body)
}
const lab = screened.get('review-hcbd-reference-standard-for-lab')!
const window2023 = screened.get('review-decabde-import-in-2023-exemption-window')!

answer(
  'listScreenings',
  'page',
  firstItems(
    (await ok({ url: `/v1/screenings?${new URLSearchParams(SCREENING_QUERY_EXAMPLES.recent)}` })) as {
      items: unknown[]
    },
    2,
  ),
)
answer(
  'rescreenScreening',
  'rescreen',
  await ok({ method: 'POST', url: `/v1/screenings/${window2023.screeningId}/rescreen`, role: 'officer' }),
)

const queue = (await ok({ url: '/v1/reviews?status=open&limit=2', role: 'officer' })) as {
  items: { id: string; screeningId: string }[]
}
answer('listReviews', 'open', queue)
const labCase = queue.items.find((c) => c.screeningId === lab.screeningId)
if (!labCase) throw new Error('the HCBD reference standard opened no review case')
answer('getReview', 'open', await ok({ url: `/v1/reviews/${labCase.id}`, role: 'officer' }))
const resolution = RESOLVE_REVIEW_EXAMPLES['allow-reference-standard-permit-verified']!.value
answer(
  'resolveReview',
  'resolved',
  await ok({ method: 'POST', url: `/v1/reviews/${labCase.id}/resolve`, role: 'officer', body: resolution }),
)
refusal(
  'resolveReview',
  409,
  await problem(
    { method: 'POST', url: `/v1/reviews/${labCase.id}/resolve`, role: 'officer', body: resolution },
    409,
  ),
)
refusal(
  'resolveReview',
  422,
  await problem(
    {
      method: 'POST',
      url: `/v1/reviews/${labCase.id}/resolve`,
      role: 'officer',
      body: { outcome: 'ALLOW', reasonCode: 'LAB_OK', note: ' ' },
    },
    422,
  ),
)
// ALLOW asked for a screening whose BLOCK lines stand: one BLOCK line beside one REVIEW line.
const blockAndReview = structuredClone(SCREENING_REQUEST_EXAMPLES['block-decabde-import']!.value)
const reviewLine = structuredClone(
  SCREENING_REQUEST_EXAMPLES['review-hcbd-reference-standard-for-lab']!.value.lines[0]!,
)
blockAndReview.lines = [blockAndReview.lines[0]!, { ...reviewLine, lineNo: 2 }]
const mixed = (await ok({
  method: 'POST',
  url: '/v1/screenings',
  role: 'officer',
  body: blockAndReview,
})) as {
  screeningId: string
}
const mixedCase = (
  (await ok({ url: '/v1/reviews?status=open&limit=500', role: 'officer' })) as {
    items: { id: string; screeningId: string }[]
  }
).items.find((c) => c.screeningId === mixed.screeningId)
if (!mixedCase) throw new Error('the BLOCK and REVIEW declaration opened no review case')
refusal(
  'resolveReview',
  409,
  await problem(
    { method: 'POST', url: `/v1/reviews/${mixedCase.id}/resolve`, role: 'officer', body: resolution },
    409,
  ),
)
refusal(
  'getReview',
  404,
  await problem({ url: '/v1/reviews/0193a6c4-0000-7000-8000-000000000000', role: 'officer' }, 404),
)
answer('getScreening', 'resolved', await ok({ url: `/v1/screenings/${lab.screeningId}`, role: 'officer' }))
refusal(
  'getScreening',
  404,
  await problem({ url: '/v1/screenings/0193a6c4-0000-7000-8000-000000000000', role: 'officer' }, 404),
)
refusal(
  'getScreening',
  422,
  await problem({ url: '/v1/screenings/720120261000420077', role: 'officer' }, 422),
)
refusal(
  'listScreenings',
  422,
  await problem({ url: '/v1/screenings?decision=blocked&from=2026-13-01', role: 'officer' }, 422),
)

const badLine = structuredClone(SCREENING_REQUEST_EXAMPLES['block-decabde-import']!.value)
badLine.lines[0]!.casNumbers = ['1163-19-4']
badLine.declaration.date = '2026-02-30'
refusal(
  'createScreening',
  422,
  await problem({ method: 'POST', url: '/v1/screenings', role: 'officer', body: badLine }, 422),
)
const idempotencyKey = { 'idempotency-key': 'doc-example-0001' }
const allowEveryday = SCREENING_REQUEST_EXAMPLES['allow-everyday-import']!.value
await ok({
  method: 'POST',
  url: '/v1/screenings',
  role: 'officer',
  body: allowEveryday,
  headers: idempotencyKey,
})
refusal(
  'createScreening',
  422,
  await problem(
    {
      method: 'POST',
      url: '/v1/screenings',
      role: 'officer',
      body: { ...allowEveryday, declaration: { ...allowEveryday.declaration, id: 'ANOTHER-DECLARATION' } },
      headers: idempotencyKey,
    },
    422,
  ),
)
refusal(
  'createScreening',
  400,
  await problem(
    {
      method: 'POST',
      url: '/v1/screenings',
      role: 'officer',
      body: '<?xml version="1.0" encoding="UTF-8"?><DecMessage><DecHead>',
      headers: { 'content-type': 'application/xml' },
    },
    400,
  ),
)
refusal(
  'createScreening',
  400,
  await problem(
    {
      method: 'POST',
      url: '/v1/screenings',
      role: 'officer',
      // {"你":1} in GBK.
      body: Buffer.from([0x7b, 0x22, 0xc4, 0xe3, 0x22, 0x3a, 0x31, 0x7d]),
      headers: { 'content-type': 'application/json' },
    },
    400,
  ),
)

// Look-ups.
answer(
  'searchSubstances',
  'by-name',
  await ok({ url: `/v1/substances?q=${encodeURIComponent('六氯丁二烯')}`, role: 'officer' }),
)
refusal('searchSubstances', 422, await problem({ url: '/v1/substances?cas=1163-19-4', role: 'officer' }, 422))
answer('getSubstance', 'hcbd', await ok({ url: '/v1/substances/hcbd', role: 'officer' }))
refusal('getSubstance', 404, await problem({ url: '/v1/substances/dehp', role: 'officer' }, 404))

// Registry versions: import a small one, compare it, look at its impact, activate it last.
const versions = (await ok({ url: '/v1/registry/versions', role: 'officer' })) as {
  items: { version: string; active: boolean }[]
}
const activeVersion = versions.items.find((v) => v.active)!.version
const seeded = JSON.parse(readFileSync(projectFile('registry', 'versions', `${activeVersion}.json`), 'utf8'))
const hcbd = seeded.groups.find((g: { id: string }) => g.id === 'hcbd')
const used = new Set<string>(
  JSON.stringify(hcbd)
    .match(/"[A-Z][A-Za-z0-9_]+"/g)
    ?.map((s) => s.slice(1, -1)),
)
const importDoc = {
  ...seeded,
  version: EXAMPLE_VERSION,
  groups: [hcbd],
  sources: Object.fromEntries(Object.entries(seeded.sources).filter(([key]) => used.has(key))),
}
const requests: Record<string, Record<string, { summary: string; value: unknown }>> = {
  importRegistryVersion: {
    [`draft-${EXAMPLE_VERSION}-hcbd-only`]: {
      summary: `${EXAMPLE_VERSION} 草案：现行名录只保留六氯丁二烯一组 · a draft cut to the HCBD group of ${activeVersion}`,
      value: importDoc,
    },
  },
}
answer('listRegistryVersions', 'versions', versions)
const full = (await ok({ url: `/v1/registry/versions/${activeVersion}`, role: 'officer' })) as Record<
  string,
  unknown
>
answer('getRegistryVersion', 'version', {
  ...full,
  document: { ...seeded, groups: importDoc.groups, sources: importDoc.sources },
})
refusal(
  'getRegistryVersion',
  404,
  await problem({ url: '/v1/registry/versions/2019.1', role: 'officer' }, 404),
)
answer(
  'importRegistryVersion',
  'imported',
  await ok({ method: 'POST', url: '/v1/registry/versions', body: importDoc }, 201),
)
refusal(
  'importRegistryVersion',
  409,
  await problem({ method: 'POST', url: '/v1/registry/versions', body: importDoc }, 409),
)
const broken = structuredClone(importDoc)
broken.version = '2026.9'
broken.groups[0].cas[0].number = '87-68-4'
refusal(
  'importRegistryVersion',
  422,
  await problem({ method: 'POST', url: '/v1/registry/versions', body: broken }, 422),
)
answer(
  'diffRegistryVersions',
  'diff',
  await ok({
    url: `/v1/registry/versions/${EXAMPLE_VERSION}/diff?against=${activeVersion}`,
    role: 'officer',
  }),
)
refusal(
  'diffRegistryVersions',
  404,
  await problem({ url: '/v1/registry/versions/2019.1/diff', role: 'officer' }, 404),
)
answer(
  'registryVersionImpact',
  'impact',
  firstItems(
    (await ok({
      url: `/v1/registry/versions/${EXAMPLE_VERSION}/impact?from=2026-11-01`,
      role: 'officer',
    })) as { items: unknown[] },
    2,
  ),
)
refusal(
  'registryVersionImpact',
  404,
  await problem({ url: '/v1/registry/versions/2019.1/impact', role: 'officer' }, 404),
)

// Audit.
const ndjson = (await ok({ url: '/v1/audit/events?action=screening.created', role: 'auditor' })) as string
answer('exportAuditEvents', 'ndjson', `${ndjson.split('\n').slice(0, 1).join('\n')}\n`)
const csv = (await ok({
  url: '/v1/audit/events?format=csv&action=review.resolved',
  role: 'auditor',
})) as string
answer('exportAuditEvents', 'csv', csv)
refusal(
  'exportAuditEvents',
  422,
  await problem({ url: '/v1/audit/events?format=xlsx', role: 'auditor' }, 422),
)
answer(
  'popsTradeReport',
  'report',
  await ok({ url: '/v1/reports/pops-trade?from=2026-11-01&to=2026-12-01', role: 'officer' }),
)
answer(
  'popsTradeReport',
  'csv',
  await ok({ url: '/v1/reports/pops-trade?from=2026-11-01&to=2026-12-01&format=csv', role: 'officer' }),
)
answer(
  'decisionLog',
  'csv',
  await ok({ url: '/v1/reports/decision-log?from=2026-11-01&to=2026-12-01&decision=BLOCK', role: 'auditor' }),
)
answer('getAuditPublicKey', 'key', await ok({ url: '/v1/audit/public-key', role: 'auditor' }))
answer('listAuditPublicKeys', 'keys', await ok({ url: '/v1/audit/public-keys', role: 'auditor' }))
answer(
  'listAuditCheckpoints',
  'page',
  firstItems(
    (await ok({ url: '/v1/audit/checkpoints?limit=2', role: 'auditor' })) as { items: unknown[] },
    2,
  ),
)
answer('verifyAuditChain', 'ok', await ok({ url: '/v1/audit/verify', role: 'auditor' }))

// Keys.
const created = (await ok({ method: 'POST', url: '/v1/keys', body: CREATE_KEY_EXAMPLE }, 201)) as {
  id: string
}
answer('createKey', 'created', created)
refusal(
  'createKey',
  422,
  await problem({ method: 'POST', url: '/v1/keys', body: { role: 'customs', name: '' } }, 422),
)
answer('listKeys', 'keys', firstItems((await ok({ url: '/v1/keys' })) as { items: unknown[] }, 2))
answer('revokeKey', 'revoked', await ok({ method: 'POST', url: `/v1/keys/${created.id}/revoke` }))
refusal(
  'revokeKey',
  404,
  await problem({ method: 'POST', url: '/v1/keys/0193a6c4-0000-7000-8000-000000000000/revoke' }, 404),
)

answer(
  'activateRegistryVersion',
  'activated',
  await ok({ method: 'POST', url: `/v1/registry/versions/${EXAMPLE_VERSION}/activate` }),
)
refusal(
  'activateRegistryVersion',
  404,
  await problem({ method: 'POST', url: '/v1/registry/versions/2019.1/activate' }, 404),
)

// The event feed: the first page (the seeded registry's activation, the screenings above, their reviews).
answer('listEvents', 'page', await ok({ url: '/v1/events?limit=4', role: 'screener' }))
refusal('listEvents', 422, await problem({ url: '/v1/events?after=latest', role: 'screener' }, 422))

// Webhooks: a receiver on this machine that refuses the first request and accepts the next.
let refusals = 1
const receiver = http.createServer((req, res) => {
  req.resume()
  req.on('end', () => res.writeHead(refusals-- > 0 ? 503 : 204).end())
})
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/popscreen/events`
runtime.services.webhookWorker.start()
const hook = (await ok(
  {
    method: 'POST',
    url: '/v1/webhooks',
    body: {
      url: hookUrl,
      events: ['screening.created', 'review.opened', 'review.resolved'],
      organisation: 'default',
    },
  },
  201,
)) as { id: string }
answer('createWebhook', 'created', hook)
refusal(
  'createWebhook',
  422,
  await problem(
    {
      method: 'POST',
      url: '/v1/webhooks',
      body: { url: 'ftp://declare.example.cn/in', events: ['review.resolved'], organisation: 'default' },
    },
    422,
  ),
)
refusal(
  'createWebhook',
  422,
  await problem(
    {
      method: 'POST',
      url: '/v1/webhooks',
      body: {
        url: 'http://169.254.169.254/latest/meta-data/',
        events: ['review.resolved'],
        organisation: 'default',
      },
    },
    422,
  ),
)
await ok({
  method: 'POST',
  url: '/v1/screenings',
  role: 'screener',
  body: SCREENING_REQUEST_EXAMPLES['allow-everyday-import']!.value,
})
let deliveries: { items: { status: string }[] } = { items: [] }
for (let tries = 0; deliveries.items[0]?.status !== 'delivered'; tries++) {
  if (tries > 200) throw new Error('the webhook example was not delivered')
  await new Promise((resolve) => setTimeout(resolve, 25))
  deliveries = (await ok({ url: `/v1/webhooks/${hook.id}/deliveries` })) as typeof deliveries
}
answer('listWebhookDeliveries', 'page', deliveries)
const missingHook = '/v1/webhooks/0193a6c4-0000-7000-8000-000000000000'
refusal('listWebhookDeliveries', 404, await problem({ url: `${missingHook}/deliveries` }, 404))
answer('listWebhooks', 'webhooks', await ok({ url: '/v1/webhooks' }))
answer('getWebhook', 'webhook', await ok({ url: `/v1/webhooks/${hook.id}` }))
refusal('getWebhook', 404, await problem({ url: missingHook }, 404))
answer('deleteWebhook', 'deleted', await ok({ method: 'DELETE', url: `/v1/webhooks/${hook.id}` }))
refusal('deleteWebhook', 404, await problem({ method: 'DELETE', url: missingHook }, 404))
await new Promise<void>((resolve) => receiver.close(() => resolve()))

// Operations.
answer('live', 'live', await ok({ url: '/health/live', role: null }))
answer('ready', 'ready', await ok({ url: '/health/ready', role: null }))

// Refusals every operation of a kind shares, from one operation.
const common: Record<string, unknown> = {
  400: await problem(
    {
      method: 'POST',
      url: '/v1/screenings',
      role: 'officer',
      body: '{"declaration": {',
      headers: { 'content-type': 'application/json' },
    },
    400,
  ),
  401: await problem({ url: '/v1/screenings', role: null }, 401),
  '400-url': await problem({ url: '/v1/screenings/%zz', role: 'officer' }, 400),
  414: await problem({ url: `/v1/substances/${'x'.repeat(120)}`, role: 'officer' }, 414),
  403: await problem(
    { method: 'POST', url: `/v1/registry/versions/${activeVersion}/activate`, role: 'officer' },
    403,
  ),
  413: await problem(
    {
      method: 'POST',
      url: '/v1/screenings',
      role: 'officer',
      body: JSON.stringify({ pad: 'x'.repeat(config.BODY_LIMIT_BYTES) }),
      headers: { 'content-type': 'application/json' },
    },
    413,
  ),
  415: await problem(
    {
      method: 'POST',
      url: '/v1/screenings',
      role: 'officer',
      body: '{}',
      headers: { 'content-type': 'application/json; charset=GBK' },
    },
    415,
  ),
}

await app.close()
await runtime.close()
writeFileSync(OUT, `${JSON.stringify({ operations, problems, common, requests }, null, 2)}\n`)
console.log(`wrote ${OUT}`)
