import { readFileSync } from 'node:fs'
import type { OpenAPIV3_1 } from 'openapi-types'
import { projectFile } from '../../project-files.ts'
import {
  codesByStatus,
  type OperationShape,
  PROBLEM_CODES,
  type ProblemCode,
} from '../../services/problem-codes.ts'
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

const headerRefs = (...names: string[]) =>
  Object.fromEntries(names.map((n) => [n, { $ref: `#/components/headers/${n}` }]))
const RATE_LIMIT = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']

const kebab = (code: string) => code.toLowerCase().replaceAll('_', '-')

/** What the generic problem scopes need to know of an operation (see problem-codes.ts). */
function shapeOf(path: string, method: string, op: Operation): OperationShape {
  const params = (op.parameters ?? []) as OpenAPIV3_1.ParameterObject[]
  return {
    operationId: op.operationId ?? '',
    path,
    method,
    hasPathParameter: params.some((p) => p.in === 'path'),
    hasInput: params.length > 0 || Boolean(op.requestBody),
    idempotent: params.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key'),
  }
}

/** The problem schema of one response: any problem, its `code` narrowed to what this response can carry. */
const problemSchema = (codes: readonly ProblemCode[]): OpenAPIV3_1.SchemaObject => ({
  allOf: [
    PROBLEM_REF,
    {
      type: 'object',
      properties: { code: { type: 'string', enum: [...codes] } },
      required: ['code'],
    },
  ],
})

/** Every answer popscreen gave or is documented to give, for finding an example of a code. */
function knownProblems(operationId: string): Json[] {
  return [
    ...Object.values(answers.problems[operationId] ?? {}),
    ...Object.values(answers.common),
    ...Object.values(WRITTEN_PROBLEMS),
    NOT_READY_PROBLEM,
  ] as Json[]
}

/** An example of `code`: a real answer where one was captured, else one of the shape popscreen sends. */
function exampleOf(code: ProblemCode, operationId: string): Json {
  const known = knownProblems(operationId).find((p) => p.code === code)
  if (known) return known
  const { status, title, meaning } = PROBLEM_CODES[code]
  return {
    type: `/problems/${kebab(code)}`,
    title,
    status,
    detail: meaning.split(' · ').at(-1)!,
    // Not the operation's path: the same example then serves every operation (components.responses).
    instance: '/v1/…',
    code,
    requestId: '0b7d9e2a-4c6f-4e1b-8a3d-5f7e9c1b2d4a',
  }
}

/** The codes of a response and what to do about each, as the response's description lists them. */
function codeList(codes: readonly ProblemCode[]): string {
  return codes.map((c) => `- \`${c}\` — ${PROBLEM_CODES[c].meaning}. ${PROBLEM_CODES[c].handling}`).join('\n')
}

interface ErrorAnswer {
  status: number
  codes: ProblemCode[]
  response: Response
  /** Captured from this operation: too specific to share. */
  own: boolean
}

function errorAnswer(
  shape: OperationShape,
  status: number,
  codes: ProblemCode[],
  conflict: string | undefined,
): ErrorAnswer {
  const id = shape.operationId
  const v1 = shape.path.startsWith('/v1/')
  const own = Object.values(answers.problems[id] ?? {}).some((p) => (p as Json).status === status)
  const lead = status === 409 && conflict ? `冲突 · ${conflict}` : STATUS_DESCRIPTIONS[status]!
  const retryAfter = status === 429 || status === 503 || codes.includes('IDEMPOTENCY_IN_FLIGHT')
  const examples: Record<string, { value: Json }> = {}
  for (const code of codes) {
    const captured = Object.values(answers.problems[id] ?? {}).filter((p) => (p as Json).code === code)
    captured.forEach((value, i) => {
      examples[i === 0 ? kebab(code) : `${kebab(code)}-${i + 1}`] = { value: value as Json }
    })
    if (captured.length === 0) examples[kebab(code)] = { value: exampleOf(code, id) }
    // The URL refusal captured on a path operation: shown where BAD_URL can be answered.
    if (code === 'BAD_URL' && answers.common['400-url'])
      examples['bad-url'] = { value: answers.common['400-url'] as Json }
  }
  return {
    status,
    codes,
    own,
    response: {
      description: `${lead}\n\n${codeList(codes)}`,
      headers: headerRefs(
        'X-Request-Id',
        // Sent once the per-IP limit was counted, which is before everything but a URL fastify cannot route.
        ...(v1 && status !== 414 ? RATE_LIMIT : []),
        ...(retryAfter ? ['Retry-After'] : []),
      ),
      content: {
        'application/problem+json': {
          schema: problemSchema(codes),
          examples: JSON.parse(JSON.stringify(examples)),
        },
      },
    },
  }
}

/** Every problem an operation can answer, by status, from src/services/problem-codes.ts. */
function errorAnswers(shape: OperationShape, conflict: string | undefined): ErrorAnswer[] {
  const byStatus = codesByStatus(shape)
  if (conflict && !byStatus.has(409))
    throw new Error(
      `${shape.operationId} documents a conflict but no 409 code names it: add its code to src/services/problem-codes.ts`,
    )
  return [...byStatus].map(([status, codes]) => errorAnswer(shape, status, codes, conflict))
}

/**
 * Answers that several operations give alike move to components.responses under the status's name: per
 * status, the code list most operations share, where no operation captured its own example.
 */
function shareCommonAnswers(all: { op: Operation; answers: ErrorAnswer[] }[]): Record<string, Response> {
  const shared: Record<string, Response> = {}
  const byStatus = new Map<number, Map<string, number>>()
  for (const { answers: list } of all)
    for (const a of list.filter((x) => !x.own)) {
      const key = JSON.stringify(a.response)
      const counts = byStatus.get(a.status) ?? new Map<string, number>()
      counts.set(key, (counts.get(key) ?? 0) + 1)
      byStatus.set(a.status, counts)
    }
  const chosen = new Map<number, string>()
  for (const [status, counts] of byStatus) {
    const [key, n] = [...counts].sort((a, b) => b[1] - a[1])[0]!
    if (n >= 2) chosen.set(status, key)
  }
  for (const { op, answers: list } of all) {
    const responses = op.responses as Record<string, Response | OpenAPIV3_1.ReferenceObject>
    for (const a of list) {
      const key = JSON.stringify(a.response)
      const name = STATUS_NAMES[a.status]!
      if (!a.own && chosen.get(a.status) === key) {
        shared[name] = a.response
        responses[a.status] = { $ref: `#/components/responses/${name}` }
      } else responses[a.status] = a.response
    }
  }
  return Object.fromEntries(Object.entries(shared).sort(([a], [b]) => a.localeCompare(b)))
}

/** Finishes one operation in place; answers the problems it can give, placed by finishDocument. */
function finishOperation(path: string, method: string, op: Operation): ErrorAnswer[] {
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

  const shape = shapeOf(path, method, op)
  const responses = (op.responses ?? {}) as Record<string, Response | OpenAPIV3_1.ReferenceObject>
  op.responses = responses
  for (const range of ['4xx', '5xx', '4XX', '5XX']) delete responses[range]
  const captured = answers.operations[id] ?? {}
  for (const [status, response] of Object.entries(responses)) {
    if (!status.startsWith('2') || '$ref' in response) continue
    if (docs) response.description = docs.answer
    response.headers = headerRefs(
      'X-Request-Id',
      ...(v1 ? RATE_LIMIT : []),
      ...(shape.idempotent ? ['Idempotency-Replayed'] : []),
    )
    for (const [type, media] of Object.entries(response.content ?? {})) {
      const named = Object.entries(captured).filter(([name, value]) =>
        type === 'application/json' ? typeof value !== 'string' : type.includes(name),
      )
      if (named.length > 0)
        media.examples = Object.fromEntries(named.map(([name, value]) => [name, { value }]))
    }
  }
  return errorAnswers(shape, docs?.conflict)
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
  const all: { op: Operation; answers: ErrorAnswer[] }[] = []
  for (const [path, item] of Object.entries(doc.paths ?? {}))
    for (const method of METHODS) {
      const op = item?.[method]
      if (op) all.push({ op, answers: finishOperation(path, method, op) })
    }
  const responses = shareCommonAnswers(all)
  for (const { op } of all)
    op.responses = Object.fromEntries(
      Object.entries(op.responses ?? {}).sort(([a], [b]) => a.localeCompare(b)),
    ) as Operation['responses']
  doc.components = { ...doc.components, responses, headers: HEADERS }
  return doc
}
