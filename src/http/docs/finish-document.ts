import { readFileSync } from 'node:fs'
import type { OpenAPIV3_1 } from 'openapi-types'
import { projectFile } from '../../project-files.ts'
import { PARAMETER_EXAMPLES, PARAMETER_HINTS } from './examples/other-requests.ts'
import { API_DESCRIPTION } from './guide.ts'
import { OPERATION_DOCS } from './operations.ts'
import {
  HEADERS,
  NOT_READY_PROBLEM,
  PROBLEM_REF,
  STATUS_DESCRIPTIONS,
  STATUS_NAMES,
  WRITTEN_PROBLEMS,
} from './problems.ts'

type Doc = OpenAPIV3_1.Document
type Operation = OpenAPIV3_1.OperationObject
type Response = OpenAPIV3_1.ResponseObject
type Json = Record<string, unknown>

interface Answers {
  operations: Record<string, Record<string, unknown>>
  problems: Record<string, Record<string, unknown>>
  common: Record<string, unknown>
  /** Request bodies the capture sent, named, where they are too large to write out in examples/. */
  requests: Record<string, Record<string, { summary: string; value: unknown }>>
}
const answers = JSON.parse(
  readFileSync(projectFile('src', 'http', 'docs', 'examples', 'answers.json'), 'utf8'),
) as Answers

/** Tags in the order an officer works: screen, look up, review, then the back office. */
export const TAGS: OpenAPIV3_1.TagObject[] = [
  {
    name: 'screening',
    description: '筛查报关单，查看以往结论 · Screen declarations and read past decisions',
  },
  { name: 'substances', description: '查询名录中的物质 · Look up substances in the active registry' },
  {
    name: 'reviews',
    description: '审核队列：人工处理 REVIEW 结论 · The review queue: work REVIEW decisions',
  },
  {
    name: 'events',
    description:
      '事件流与 Webhook：跟踪报关单直到最终结论 · The event feed and webhooks: follow a declaration to its end',
  },
  { name: 'audit', description: '审计日志：导出和校验 · Tamper-evident audit log: export and verify' },
  { name: 'reports', description: '报表：POPs 进出口统计、决策日志 · Reports: POPs trade, decision log' },
  {
    name: 'registry',
    description: '名录版本：导入、比较、激活 · Registry versions: import, compare, activate',
  },
  { name: 'keys', description: 'API 密钥（管理员）· API keys (admin)' },
  { name: 'operations', description: '健康检查 · Health probes' },
]

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const
const SCHEMA_REF = '#/components/schemas/'

function refsIn(value: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const v of value) refsIn(v, into)
  else if (value && typeof value === 'object')
    for (const [key, v] of Object.entries(value))
      if (key === '$ref' && typeof v === 'string' && v.startsWith(SCHEMA_REF))
        into.add(v.slice(SCHEMA_REF.length))
      else refsIn(v, into)
  return into
}

function reachableSchemas(doc: Doc): Set<string> {
  const schemas = doc.components?.schemas ?? {}
  const seen = refsIn({ ...doc, components: { ...doc.components, schemas: {} } }, new Set())
  const queue = [...seen]
  for (let name = queue.pop(); name !== undefined; name = queue.pop())
    for (const next of refsIn(schemas[name], new Set()))
      if (!seen.has(next)) {
        seen.add(next)
        queue.push(next)
      }
  return seen
}

function renameRefs(value: unknown, from: string, to: string): unknown {
  return JSON.parse(JSON.stringify(value), (key, v) =>
    key === '$ref' && v === `${SCHEMA_REF}${from}` ? `${SCHEMA_REF}${to}` : v,
  )
}

/**
 * fastify-type-provider-zod emits every registered schema twice, as `X` (output) and `XInput` (input),
 * used or not. A client generator would make two classes of each. Keep what the paths reach; an input
 * twin takes its plain name when the output one is unused or identical. Two different reachable
 * shapes under one name would be a modelling mistake, so they stop the build.
 */
export function dropInputTwins(doc: Doc): Doc {
  let out = doc
  const schemas = () => (out.components?.schemas ?? {}) as Record<string, unknown>
  const reachable = reachableSchemas(out)
  for (const twin of Object.keys(schemas()).filter((n) => n.endsWith('Input') && reachable.has(n))) {
    const base = twin.slice(0, -'Input'.length)
    const renamed = renameRefs(schemas()[twin], twin, base)
    if (
      reachable.has(base) &&
      JSON.stringify(renamed) !== JSON.stringify(renameRefs(schemas()[base], twin, base))
    )
      throw new Error(
        `schemas ${base} and ${twin} differ and are both used; give the input schema its own id`,
      )
    out = renameRefs(out, twin, base) as Doc
    schemas()[base] = renameRefs(renamed, twin, base)
    delete schemas()[twin]
  }
  const used = reachableSchemas(out)
  for (const name of Object.keys(schemas())) if (!used.has(name)) delete schemas()[name]
  // Input twins referenced only by other input twins were renamed above; a second pass settles them.
  return Object.keys(schemas()).some((n) => n.endsWith('Input')) ? dropInputTwins(out) : out
}

const problemContent = (examples: Record<string, unknown>) => ({
  'application/problem+json': {
    schema: PROBLEM_REF,
    examples: Object.fromEntries(Object.entries(examples).map(([name, value]) => [name, { value }])),
  },
})

const headerRefs = (...names: string[]) =>
  Object.fromEntries(names.map((n) => [n, { $ref: `#/components/headers/${n}` }]))
const RATE_LIMIT = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']

function componentResponses(): Record<string, Response> {
  const common = answers.common as Record<string, Json>
  const example = (status: number): Json => (common[status] ?? WRITTEN_PROBLEMS[status]) as Json
  const response = (status: number, headers: string[], examples: Record<string, unknown>): Response => ({
    description: STATUS_DESCRIPTIONS[status]!,
    headers: headerRefs('X-Request-Id', ...headers),
    content: problemContent(examples),
  })
  const byCode = (status: number) => {
    // Absent only before the first capture of a newly documented refusal (npm run docs:examples).
    const e = example(status) as Json | undefined
    return e ? { [String(e.code).toLowerCase().replaceAll('_', '-')]: e } : {}
  }
  return {
    BadRequest: response(400, [], {
      ...byCode(400),
      ...(common['400-url'] ? { 'bad-url': common['400-url'] } : {}),
    }),
    UriTooLong: response(414, [], byCode(414)),
    Unauthorized: response(401, [], byCode(401)),
    Forbidden: response(403, [], byCode(403)),
    PayloadTooLarge: response(413, [], byCode(413)),
    UnsupportedMediaType: response(415, [], byCode(415)),
    TooManyRequests: response(429, [...RATE_LIMIT, 'Retry-After'], byCode(429)),
    ServiceUnavailable: response(503, ['Retry-After'], {
      'service-unavailable': WRITTEN_PROBLEMS[503],
      overloaded: {
        ...(WRITTEN_PROBLEMS[503] as Json),
        type: '/problems/overloaded',
        code: 'OVERLOADED',
        detail: 'server under pressure (eventLoopDelay: 1204.5); retry later',
      },
    }),
  }
}

/** The error statuses an operation can answer, from what it accepts. */
function errorStatuses(path: string, op: Operation, conflict: boolean): number[] {
  if (!path.startsWith('/v1/')) return path === '/health/ready' ? [503] : []
  const params = (op.parameters ?? []) as OpenAPIV3_1.ParameterObject[]
  const statuses = new Set([401, 403, 429, 503])
  if (op.requestBody) for (const s of [400, 413, 415, 422]) statuses.add(s)
  if (params.length > 0) statuses.add(422)
  // A path parameter can be malformed percent-encoding (400) or too long (414) before routing.
  if (params.some((p) => p.in === 'path')) for (const s of [400, 404, 414]) statuses.add(s)
  if (conflict) statuses.add(409)
  return [...statuses].sort()
}

function errorResponse(
  operationId: string,
  status: number,
  conflict: string | undefined,
): Response | { $ref: string } {
  const captured = answers.problems[operationId]?.[status] as Json | undefined
  const name = STATUS_NAMES[status]!
  if (status === 404 || status === 409 || status === 422) {
    const examples: Record<string, unknown> = {}
    if (captured) examples[String(captured.code).toLowerCase().replaceAll('_', '-')] = captured
    if (operationId === 'createScreening' && status === 409)
      examples['idempotency-in-flight'] = WRITTEN_PROBLEMS[409]
    if (operationId === 'createScreening' && status === 422)
      examples['idempotency-key-reused'] = {
        ...(captured as Json),
        type: '/problems/idempotency-key-reused',
        title: 'Idempotency key reused',
        detail: 'this Idempotency-Key was used with a different request body',
        code: 'IDEMPOTENCY_KEY_REUSED',
        errors: undefined,
      }
    if (Object.keys(examples).length === 0) examples[name] = genericProblem(status, operationId)
    return {
      description: status === 409 && conflict ? `冲突 · ${conflict}` : STATUS_DESCRIPTIONS[status]!,
      headers: headerRefs(
        'X-Request-Id',
        ...(status === 422 ? [] : RATE_LIMIT),
        ...(status === 409 ? ['Retry-After'] : []),
      ),
      content: problemContent(JSON.parse(JSON.stringify(examples))),
    }
  }
  return { $ref: `#/components/responses/${name}` }
}

/** A problem of the shape popscreen sends, for a status no captured answer covers. */
function genericProblem(status: number, operationId: string): Json {
  const code = status === 404 ? 'NOT_FOUND' : status === 409 ? 'CONFLICT' : 'VALIDATION_FAILED'
  return {
    type: `/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title: status === 404 ? 'Not found' : status === 409 ? 'Conflict' : 'Validation failed',
    status,
    detail:
      status === 422
        ? 'the request querystring has invalid fields'
        : `${operationId}: ${STATUS_DESCRIPTIONS[status]}`,
    instance: '/v1/…',
    code,
    requestId: '0b7d9e2a-4c6f-4e1b-8a3d-5f7e9c1b2d4a',
  }
}

function finishOperation(path: string, op: Operation): void {
  const id = op.operationId ?? ''
  const docs = OPERATION_DOCS[id]
  const v1 = path.startsWith('/v1/')
  if (!v1) op.security = []
  if (docs) {
    op.summary = docs.summary
    const roles = op.description?.match(/\*\*Roles:\*\*.*$/s)?.[0]
    op.description = roles ? `${docs.description}\n\n${roles}` : docs.description
    if (docs.tags) op.tags = docs.tags
  }
  for (const param of (op.parameters ?? []) as OpenAPIV3_1.ParameterObject[]) {
    const example = PARAMETER_EXAMPLES[id]?.[param.name]
    if (example !== undefined) param.example = example
    const hint = PARAMETER_HINTS[id]?.[param.name]
    if (hint) param.description = `${param.description ? `${param.description}; ` : ''}例 · e.g. ${hint}`
  }
  const body = (op.requestBody as OpenAPIV3_1.RequestBodyObject | undefined)?.content?.['application/json']
  const requestExamples = { ...docs?.requestExamples, ...answers.requests[id] }
  if (body && Object.keys(requestExamples).length > 0) body.examples = requestExamples

  const responses = (op.responses ?? {}) as Record<string, Response | OpenAPIV3_1.ReferenceObject>
  for (const range of ['4xx', '5xx', '4XX', '5XX']) delete responses[range]
  const captured = answers.operations[id] ?? {}
  for (const [status, response] of Object.entries(responses)) {
    if (!status.startsWith('2') || '$ref' in response) continue
    if (docs) response.description = docs.answer
    response.headers = {
      ...headerRefs('X-Request-Id', ...(v1 ? RATE_LIMIT : [])),
      ...(id === 'createScreening' ? headerRefs('Idempotency-Replayed') : {}),
    }
    for (const [type, media] of Object.entries(response.content ?? {})) {
      const named = Object.entries(captured).filter(([name, value]) =>
        type === 'application/json' ? typeof value !== 'string' : type.includes(name),
      )
      if (named.length > 0)
        media.examples = Object.fromEntries(named.map(([name, value]) => [name, { value }]))
    }
  }
  for (const status of errorStatuses(path, op, Boolean(docs?.conflict)))
    responses[status] =
      id === 'ready'
        ? {
            description: STATUS_DESCRIPTIONS[503]!,
            content: problemContent({ 'not-ready': NOT_READY_PROBLEM }),
          }
        : errorResponse(id, status, docs?.conflict)
  op.responses = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)))
}

/**
 * The OpenAPI document as /docs and client generators read it: bilingual summaries, examples taken from
 * real answers, every error status an operation can answer, the headers it sends, and no unused schemas.
 */
export function finishDocument(generated: Doc): Doc {
  const doc = dropInputTwins(structuredClone(generated))
  doc.info = { ...doc.info, description: API_DESCRIPTION }
  doc.servers = [{ url: '/', description: '本服务 · this service' }]
  doc.tags = TAGS
  for (const [path, item] of Object.entries(doc.paths ?? {}))
    for (const method of METHODS) {
      const op = item?.[method]
      if (op) finishOperation(path, op)
    }
  doc.components = {
    ...doc.components,
    responses: componentResponses(),
    headers: HEADERS,
  }
  return doc
}
