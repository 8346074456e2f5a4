import { readFileSync } from 'node:fs'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { projectFile } from '../../src/project-files.ts'

/**
 * The OpenAPI promise, checked where the server no longer checks it: the service sends its answers without
 * validating them at run time, so the HTTP tests validate every response they receive against the response
 * schema `openapi/openapi.json` declares for its route, status and content type.
 */
interface OpenApiDocument {
  paths: Record<string, Record<string, { responses?: Record<string, ResponseObject> }>>
}
interface ResponseObject {
  content?: Record<string, { schema?: unknown }>
  /** A response shared under components.responses (the common problem answers). */
  $ref?: string
}

const DOCUMENT_ID = 'openapi.json'
const document = JSON.parse(readFileSync(projectFile('openapi', 'openapi.json'), 'utf8')) as OpenApiDocument
// strict: false because the document's other members (paths, info, …) are no JSON Schema keywords.
const ajv = new Ajv2020({ strict: false, allErrors: true })
addFormats.default(ajv)
ajv.addSchema(document, DOCUMENT_ID)

/** Templates like /v1/screenings/{id} as patterns; literal paths first, as the router prefers them. */
const routes = Object.keys(document.paths)
  .map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^/}]+\}/g, '[^/]+')}$`),
    literal: !template.includes('{'),
  }))
  .sort((a, b) => Number(b.literal) - Number(a.literal))

const pointer = (...segments: string[]) =>
  `#/${segments.map((s) => s.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`

const compiled = new Map<string, ValidateFunction>()

export interface CheckedResponse {
  method: string
  url: string
  statusCode: number
  contentType: string | undefined
  body: string
}

/**
 * Why a response breaks its route's OpenAPI description, or null when it conforms or the document does not
 * describe the path (/docs, /metrics, a 404 for an unknown path) or the body is no JSON document (CSV,
 * NDJSON). A problem's `code` is checked too: each error response's schema enumerates the codes its
 * operation can answer with that status (src/services/problem-codes.ts), so a code the operation does not
 * declare fails the test that received it.
 */
export function openApiViolation(r: CheckedResponse): string | null {
  const path = r.url.split('?')[0]!
  const route = routes.find((x) => x.pattern.test(path))
  if (!route) return null
  const method = r.method.toLowerCase()
  const operation = document.paths[route.template]![method]
  if (!operation) return null
  const what = `${r.method} ${route.template} ${r.statusCode}`
  const status = String(r.statusCode)
  const responses = operation.responses ?? {}
  const key = [status, `${status[0]}XX`, 'default'].find((k) => k in responses)
  if (!key) return `${what}: status not described (described: ${Object.keys(responses).join(', ')})`
  const mediaType = (r.contentType ?? '').split(';')[0]!.trim()
  if (mediaType !== 'application/json' && !mediaType.endsWith('+json')) return null
  // A shared response is checked against the schema where it is defined.
  const shared = responses[key]!.$ref
  const at = shared ?? pointer('paths', route.template, method, 'responses', key)
  const response = shared
    ? (shared
        .slice(2)
        .split('/')
        .reduce<unknown>((node, k) => (node as Record<string, unknown>)[k], document) as ResponseObject)
    : responses[key]!
  const content = response.content ?? {}
  // Exactly the media type sent: a problem described as application/json but sent as
  // application/problem+json (or the reverse) is a broken promise to a generated client.
  const described = mediaType in content ? mediaType : null
  if (!described) return `${what}: ${mediaType} not described (described: ${Object.keys(content).join(', ')})`
  const ref = `${DOCUMENT_ID}${at}${pointer('content', described, 'schema').slice(1)}`
  let validate = compiled.get(ref)
  if (!validate) {
    validate = ajv.getSchema(ref)
    if (!validate) return `${what}: no schema at ${ref}`
    compiled.set(ref, validate)
  }
  let body: unknown
  try {
    body = JSON.parse(r.body)
  } catch {
    return `${what}: body is not JSON`
  }
  return validate(body) ? null : `${what}: ${ajv.errorsText(validate.errors, { dataVar: 'body' })}`
}
