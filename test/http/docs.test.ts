import { readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import type { OpenAPIV3_1 } from 'openapi-types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  promisedDecision,
  SCREENING_REQUEST_EXAMPLES,
} from '../../src/http/docs/examples/screening-requests.ts'
import { OPERATION_DOCS } from '../../src/http/docs/operations.ts'
import { PROBLEM_CODE_NAMES, PROBLEM_CODES, type ProblemCode } from '../../src/services/problem-codes.ts'
import { openApiViolation } from '../helpers/openapi-responses.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

const doc = JSON.parse(readFileSync('openapi/openapi.json', 'utf8')) as OpenAPIV3_1.Document
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const
const operations = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
  METHODS.flatMap((method) => {
    const op = item?.[method]
    return op ? [{ path, method, op }] : []
  }),
)

type Ref = { $ref: string }
const isRef = (v: unknown): v is Ref => typeof v === 'object' && v !== null && '$ref' in v
function resolve<T>(value: unknown): T {
  if (!isRef(value)) return value as T
  const target = value.$ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key.replaceAll('~1', '/')], doc)
  return resolve<T>(target)
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }))
ajv.addSchema({ $id: 'openapi.json', components: doc.components })
const compiled = new Map<string, ReturnType<typeof ajv.compile>>()
/** Validates against a schema of the document, its component refs resolved within the document. */
function validate(schema: unknown, value: unknown): string[] {
  const text = JSON.stringify(schema)
  let check = compiled.get(text)
  if (!check) {
    const rebased = JSON.parse(text, (key, v) =>
      key === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `openapi.json${v}` : v,
    )
    check = ajv.compile(rebased)
    compiled.set(text, check)
  }
  return check(value) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`)
}

/** Every example in the document with the schema it illustrates, named by where it sits. */
function* examples(): Generator<{ where: string; schema: unknown; value: unknown }> {
  const media = function* (where: string, content: Record<string, OpenAPIV3_1.MediaTypeObject> = {}) {
    for (const [type, m] of Object.entries(content)) {
      if (m.example !== undefined) yield { where: `${where} ${type}`, schema: m.schema, value: m.example }
      for (const [name, ex] of Object.entries(m.examples ?? {}))
        yield {
          where: `${where} ${type} ${name}`,
          schema: m.schema,
          value: resolve<OpenAPIV3_1.ExampleObject>(ex).value,
        }
    }
  }
  for (const { path, method, op } of operations) {
    const at = `${method.toUpperCase()} ${path}`
    for (const p of (op.parameters ?? []).map(resolve<OpenAPIV3_1.ParameterObject>))
      if (p.example !== undefined)
        yield { where: `${at} ${p.in} ${p.name}`, schema: p.schema, value: p.example }
    if (op.requestBody)
      yield* media(`${at} request`, resolve<OpenAPIV3_1.RequestBodyObject>(op.requestBody).content)
    for (const [status, r] of Object.entries(op.responses ?? {})) {
      const response = resolve<OpenAPIV3_1.ResponseObject>(r)
      yield* media(`${at} ${status}`, response.content)
      for (const [name, h] of Object.entries(response.headers ?? {})) {
        const header = resolve<OpenAPIV3_1.HeaderObject>(h)
        if (header.example !== undefined)
          yield { where: `${at} ${status} header ${name}`, schema: header.schema, value: header.example }
      }
    }
  }
}

describe('the OpenAPI document for officers and client generators', () => {
  it('has at least one example per operation, and every example validates against its schema', () => {
    const all = [...examples()]
    expect(all.length).toBeGreaterThan(60)
    const failures = all.flatMap(({ where, schema, value }) =>
      validate(schema, value).map((problem) => `${where}: ${problem}`),
    )
    expect(failures).toEqual([])
    for (const { path, method } of operations)
      expect(
        all.some((e) => e.where.startsWith(`${method.toUpperCase()} ${path} 2`)),
        `${method} ${path} has a 2xx example`,
      ).toBe(true)
  })

  it('catches an example that does not fit its schema', () => {
    const answer = SCREENING_REQUEST_EXAMPLES['block-decabde-import']!.value.lines[0] as unknown as Record<
      string,
      unknown
    >
    const schema = resolve<OpenAPIV3_1.RequestBodyObject>(doc.paths!['/v1/screenings']!.post!.requestBody!)
      .content!['application/json']!.schema
    expect(
      validate(schema, { declaration: { id: 'x', direction: 'import' }, lines: [{ ...answer, lineNo: 0 }] }),
    ).not.toEqual([])
  })

  it('gives every operation a bilingual summary, a description, explicit errors and tags in working order', () => {
    const tagOrder = (doc.tags ?? []).map((t) => t.name)
    expect(tagOrder).toEqual([
      'screening',
      'substances',
      'reviews',
      'audit',
      'reports',
      'registry',
      'keys',
      'operations',
    ])
    for (const { path, method, op } of operations) {
      const at = `${method} ${path}`
      expect(
        OPERATION_DOCS[op.operationId ?? ''],
        `${at} has an entry in src/http/docs/operations.ts`,
      ).toBeDefined()
      expect(op.summary, at).toMatch(/\p{Script=Han}.* · [A-Za-z]/u)
      expect(op.description?.length, at).toBeGreaterThan(40)
      for (const tag of op.tags ?? []) expect(tagOrder, at).toContain(tag)
      const statuses = Object.keys(op.responses ?? {})
      expect(
        statuses.filter((s) => /X/i.test(s)),
        at,
      ).toEqual([])
      if (path.startsWith('/v1/')) {
        expect(op.security, at).toEqual([{ bearerAuth: [] }])
        expect(statuses, at).toEqual(expect.arrayContaining(['401', '403', '429', '503']))
        if (op.requestBody) expect(statuses, at).toEqual(expect.arrayContaining(['400', '413', '415', '422']))
        if (path.includes('{')) expect(statuses, at).toContain('404')
      } else expect(op.security, at).toEqual([])
      for (const status of statuses.filter((s) => !s.startsWith('2'))) {
        const content = resolve<OpenAPIV3_1.ResponseObject>(op.responses![status]!).content ?? {}
        expect(Object.keys(content), `${at} ${status}`).toEqual(['application/problem+json'])
        expect(Object.keys(content['application/problem+json']!.examples ?? {}).length).toBeGreaterThan(0)
      }
    }
    expect(
      operations
        .filter(({ op }) => OPERATION_DOCS[op.operationId ?? '']?.conflict)
        .map(({ op }) => Object.keys(op.responses ?? {}).includes('409')),
    ).not.toContain(false)
  })

  it('types every problem: each error response enumerates its codes, declared where they arise', () => {
    type Schema = { allOf?: Schema[]; properties?: Record<string, { enum?: string[] }>; $ref?: string }
    const seen = new Set<string>()
    for (const { path, method, op } of operations)
      for (const [status, r] of Object.entries(op.responses ?? {})) {
        if (status.startsWith('2')) continue
        const at = `${method} ${path} ${status}`
        const response = resolve<OpenAPIV3_1.ResponseObject>(r)
        const schema = response.content?.['application/problem+json']?.schema as Schema
        const narrowed = schema.allOf?.find((s) => s.properties?.code)?.properties?.code?.enum
        expect(schema.allOf?.[0]?.$ref, at).toBe('#/components/schemas/Problem')
        expect(narrowed, at).toEqual(expect.any(Array))
        for (const code of narrowed!) {
          expect(PROBLEM_CODES[code as ProblemCode]?.status, `${at} ${code}`).toBe(Number(status))
          seen.add(code)
        }
        // Its examples are of its codes only (the example check above validates them against the enum).
        const headers = Object.keys(response.headers ?? {})
        expect(headers, at).toContain('X-Request-Id')
        if (['429', '503'].includes(status) || narrowed!.includes('IDEMPOTENCY_IN_FLIGHT'))
          expect(headers, at).toContain('Retry-After')
        if (path.startsWith('/v1/') && status !== '414')
          expect(headers, at).toEqual(expect.arrayContaining(['X-RateLimit-Limit', 'X-RateLimit-Remaining']))
      }
    // Every code some operation can answer is declared on one; ROUTE_NOT_FOUND belongs to no operation.
    expect(PROBLEM_CODE_NAMES.filter((c) => !seen.has(c))).toEqual(['ROUTE_NOT_FOUND'])
    // The codes named per operation name operations that exist.
    const ids = new Set(operations.map(({ op }) => op.operationId))
    for (const [code, { on }] of Object.entries(PROBLEM_CODES))
      if (Array.isArray(on)) for (const id of on) expect(ids.has(id), `${code}: ${id}`).toBe(true)
    // Problem.code itself is the whole enumeration, for clients that switch on any code.
    const problemCode = doc.components!.schemas!.ProblemCode as { enum: string[] }
    expect(problemCode.enum).toEqual(PROBLEM_CODE_NAMES)
    // The README's table lists every code with its status.
    const readme = readFileSync('README.md', 'utf8')
    for (const [code, { status }] of Object.entries(PROBLEM_CODES))
      expect(readme, `README lists ${code}`).toContain(`| ${status} | \`${code}\` |`)
    // The two 409s need opposite handling, and each says so.
    const conflict = resolve<OpenAPIV3_1.ResponseObject>(
      doc.paths!['/v1/reviews/{id}/resolve']!.post!.responses!['409'],
    )
    expect(conflict.description).toMatch(/`REVIEW_ALREADY_RESOLVED`[^\n]*Final: never retry/)
    const inFlight = resolve<OpenAPIV3_1.ResponseObject>(
      doc.paths!['/v1/screenings']!.post!.responses!['409'],
    )
    expect(inFlight.description).toMatch(
      /`IDEMPOTENCY_IN_FLIGHT`[^\n]*retry the same request with the same key/,
    )
    // A success of an operation taking Idempotency-Key says when it is a replay.
    expect(
      Object.keys(
        resolve<OpenAPIV3_1.ResponseObject>(doc.paths!['/v1/screenings']!.post!.responses!['200']).headers ??
          {},
      ),
    ).toContain('Idempotency-Replayed')
  })

  it('fails a response whose problem code its operation does not declare', () => {
    const problem = (code: string, status: number) => ({
      method: 'POST',
      url: '/v1/reviews/0193a6c4-0000-7000-8000-000000000000/resolve',
      statusCode: status,
      contentType: 'application/problem+json; charset=utf-8',
      body: JSON.stringify({
        type: '/problems/x',
        title: 'Conflict',
        status,
        detail: 'x',
        instance: '/v1/reviews/x/resolve',
        code,
        requestId: 'r',
      }),
    })
    expect(openApiViolation(problem('REVIEW_ALREADY_RESOLVED', 409))).toBeNull()
    expect(openApiViolation(problem('BLOCK_LINES_STAND', 409))).toBeNull()
    // A real code, but not one this operation answers with 409; a misspelt one; one of another status.
    expect(openApiViolation(problem('IDEMPOTENCY_IN_FLIGHT', 409))).toMatch(/code must be equal to one of/)
    expect(openApiViolation(problem('REVIEW_ALREADY_RESOLVD', 409))).toMatch(/code must be equal to one of/)
    expect(openApiViolation(problem('VERSION_EXISTS', 409))).toMatch(/code must be equal to one of/)
    // A problem sent as plain JSON is not what is described.
    expect(
      openApiViolation({ ...problem('REVIEW_ALREADY_RESOLVED', 409), contentType: 'application/json' }),
    ).toMatch(/application\/json not described/)
  })

  it('keeps one schema per model: no …Input twins, none unused', () => {
    const names = Object.keys(doc.components?.schemas ?? {})
    expect(names.filter((n) => n.endsWith('Input'))).toEqual([])
    const text = JSON.stringify({ ...doc, components: { ...doc.components, schemas: {} } })
    const schemasText = JSON.stringify(doc.components?.schemas)
    for (const name of names)
      expect(
        text.includes(`"#/components/schemas/${name}"`) ||
          schemasText.includes(`"#/components/schemas/${name}"`),
        name,
      ).toBe(true)
  })
})

describe('the documented behaviour holds', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_MAX: '1000' })
  })
  afterAll(() => t.close())

  it.each(Object.keys(SCREENING_REQUEST_EXAMPLES))(
    'screening example %s gets the decision its name states',
    async (name) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/screenings',
        headers: await t.auth('officer'),
        payload: SCREENING_REQUEST_EXAMPLES[name]!.value,
      })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json().decision).toBe(promisedDecision(name))
      const documented = doc.paths!['/v1/screenings']!.post!.requestBody
      expect(
        Object.keys(
          resolve<OpenAPIV3_1.RequestBodyObject>(documented!).content!['application/json']!.examples ?? {},
        ),
      ).toContain(name)
    },
  )

  it('sends the headers the document declares on a /v1 answer', async () => {
    const res = await t.app.inject({ url: '/v1/substances/hcbd', headers: await t.auth('officer') })
    expect(res.statusCode).toBe(200)
    const declared = Object.keys(
      resolve<OpenAPIV3_1.ResponseObject>(doc.paths!['/v1/substances/{id}']!.get!.responses!['200']!)
        .headers ?? {},
    )
    expect(declared).toEqual(
      expect.arrayContaining(['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']),
    )
    for (const name of declared) expect(res.headers, name).toHaveProperty(name.toLowerCase())
  })
})
