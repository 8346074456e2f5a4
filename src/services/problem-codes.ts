/**
 * Every `code` a problem+json answer can carry, what it means, what a client does about it, and which
 * operations can answer it. The one list: `AppError` and `sendProblem` accept only these codes, the OpenAPI
 * document enumerates them per operation and status from here (src/http/docs/finish-document.ts), and the
 * README's table says the same. A new code goes here first, or nothing compiles.
 */

/**
 * Which operations can answer a code. The generic rules follow from what an operation accepts, so a new
 * route gets them without a word here; a code only some operations raise lists their operationIds.
 */
export type ProblemScope =
  /** Every /v1 operation: authentication, roles, limits, the database. */
  | 'v1'
  /** Every POST: fastify reads and parses a body on each, whether or not the operation takes one. */
  | 'post'
  /** Operations with a path parameter: it can be malformed, too long, or name nothing. */
  | 'path'
  /** Operations with parameters or a body to validate. */
  | 'input'
  /** Operations that accept an `Idempotency-Key` header. */
  | 'idempotent'
  /** No operation: a path or method that no operation has. */
  | 'none'
  | readonly string[]

export interface ProblemCodeDoc {
  status: number
  /** The problem's `title`. */
  title: string
  /** `中文 · English`: what happened. */
  meaning: string
  /** What a client does about it (English: it is read by the people who write clients). */
  handling: string
  on: ProblemScope
}

const RETRY = 'Retry the same request after `Retry-After` seconds; nothing was decided or stored.'
const FIX = 'Do not retry unchanged: fix the request.'

export const PROBLEM_CODES = {
  MALFORMED_JSON: {
    status: 400,
    title: 'Bad request',
    meaning: '请求体不是合法的 JSON · the body is not well-formed JSON',
    handling: FIX,
    on: 'post',
  },
  INVALID_ENCODING: {
    status: 400,
    title: 'Bad request',
    meaning: '请求体不是 UTF-8（GBK？） · the body is not UTF-8 (GBK, GB18030 or Latin-1 text?)',
    handling: `${FIX} Encode the JSON as UTF-8.`,
    on: 'post',
  },
  BAD_CONTENT_LENGTH: {
    status: 400,
    title: 'Bad request',
    meaning: 'Content-Length 与请求体长度不符 · Content-Length does not match the body',
    handling: FIX,
    on: 'post',
  },
  BAD_REQUEST: {
    status: 400,
    title: 'Bad request',
    meaning: '请求无法读取 · the request could not be read',
    handling: FIX,
    on: 'post',
  },
  BAD_URL: {
    status: 400,
    title: 'Bad request',
    meaning: 'URL 无法解码（如 %zz） · the URL cannot be decoded (e.g. `%zz`)',
    handling: `${FIX} Percent-encode path parameters.`,
    on: 'path',
  },
  XML_MALFORMED: {
    status: 400,
    title: 'Bad request',
    meaning: 'DecMessage 不是格式正确的 XML · the DecMessage body is not well-formed XML',
    handling: FIX,
    on: ['createScreening'],
  },
  XML_DTD_FORBIDDEN: {
    status: 400,
    title: 'Bad request',
    meaning: 'DecMessage 含 DTD，不予读取 · the DecMessage carries a DTD, which is never read',
    handling: `${FIX} Send the message without a DOCTYPE.`,
    on: ['createScreening'],
  },
  UNAUTHORIZED: {
    status: 401,
    title: 'Unauthorized',
    meaning: '缺少密钥或密钥无效、已吊销 · missing, unknown or revoked API key',
    handling:
      'Send `Authorization: Bearer <key>` with a valid key; retrying with the same key will not help.',
    on: 'v1',
  },
  FORBIDDEN: {
    status: 403,
    title: 'Forbidden',
    meaning: '该角色无权调用此操作 · the key’s role may not call this operation',
    handling: 'Use a key of a role the operation lists under **Roles**.',
    on: 'v1',
  },
  NOT_FOUND: {
    status: 404,
    title: 'Not found',
    meaning:
      '路径中的 id 或版本不存在（或不可见） · the id or version in the path does not exist, or is not visible to this key',
    handling: 'Check the id; a screener sees only the screenings it may see.',
    on: 'path',
  },
  ROUTE_NOT_FOUND: {
    status: 404,
    title: 'Not found',
    meaning: '没有这个路径或方法 · no operation has this path and method',
    handling: 'Check the URL and method against this document.',
    on: 'none',
  },
  IDEMPOTENCY_IN_FLIGHT: {
    status: 409,
    title: 'Conflict',
    meaning:
      '同一 Idempotency-Key 的请求仍在处理 · a request with this Idempotency-Key is still being processed',
    handling:
      'Transient: retry the same request with the same key after `Retry-After` seconds; it then answers the stored result (`Idempotency-Replayed: true`).',
    on: 'idempotent',
  },
  REVIEW_ALREADY_RESOLVED: {
    status: 409,
    title: 'Conflict',
    meaning:
      '审核案件已处理，处理结果为最终结果 · the review case is already resolved; a resolution is final',
    handling:
      'Final: never retry. Read `GET /v1/reviews/{id}` (or the screening’s `disposition`) for the resolution that stands.',
    on: ['resolveReview'],
  },
  BLOCK_LINES_STAND: {
    status: 409,
    title: 'Conflict',
    meaning:
      '报关单有 BLOCK 行，不能整体放行 · ALLOW was asked for a screening with BLOCK lines, which stand',
    handling: 'Final for ALLOW: resolve with `BLOCK` instead; retrying ALLOW will not succeed.',
    on: ['resolveReview'],
  },
  VERSION_EXISTS: {
    status: 409,
    title: 'Conflict',
    meaning: '该名录版本号已存在 · a registry version with this `version` already exists',
    handling:
      'Final: import under a new `version`, or use the existing one (`GET /v1/registry/versions/{version}`).',
    on: ['importRegistryVersion'],
  },
  BODY_TOO_LARGE: {
    status: 413,
    title: 'Payload too large',
    meaning: '请求体超过大小限制 · the body is larger than the limit',
    handling: `${FIX} Split the declaration; bodies up to 4 × the limit are read before this answer, larger ones may see the connection closed.`,
    on: 'post',
  },
  URI_TOO_LONG: {
    status: 414,
    title: 'URI too long',
    meaning: '路径参数超过 100 个字符 · a path parameter is longer than 100 characters',
    handling: FIX,
    on: 'path',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    title: 'Unsupported media type',
    meaning:
      '只接受 UTF-8 JSON（筛查另接受 DecMessage XML） · only UTF-8 JSON is accepted (and DecMessage XML by POST /v1/screenings)',
    handling: `${FIX} Send \`Content-Type: application/json\` (UTF-8).`,
    on: 'post',
  },
  VALIDATION_FAILED: {
    status: 422,
    title: 'Validation failed',
    meaning: '字段校验失败，`errors` 逐项列出 · invalid fields, each listed in `errors` with a JSON pointer',
    handling: `${FIX} Each entry of \`errors\` names the field (\`in\`, \`path\`) and why.`,
    on: 'input',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    title: 'Idempotency key reused',
    meaning:
      '该 Idempotency-Key 已用于不同的请求体 · this Idempotency-Key was used with a different request body',
    handling: 'Final: a new request needs a new key.',
    on: 'idempotent',
  },
  ANSWER_TOO_LARGE: {
    status: 422,
    title: 'Declaration too large to answer',
    meaning:
      '结论将超过请求的 30 倍（至少 64 KiB） · the answer would be more than 30 times the request (at least 64 KiB)',
    handling: 'Split the declaration into smaller ones; nothing was recorded.',
    on: ['createScreening', 'rescreenScreening'],
  },
  WEBHOOK_TARGET_FORBIDDEN: {
    status: 422,
    title: 'Webhook target not allowed',
    meaning:
      'Webhook 地址是（或解析到）回环、内网、链路本地等非公网地址 · the webhook URL’s host is, or resolves to, a loopback, private, link-local or other non-public address',
    handling:
      'Use a receiver at a public address; for a receiver on an internal network, the operator lists its network in `WEBHOOK_ALLOWED_NETWORKS`. `errors` names `/url` and the address.',
    on: ['createWebhook'],
  },
  RATE_LIMITED: {
    status: 429,
    title: 'Too many requests',
    meaning: '超过该密钥（或 IP）的请求频率限制 · the key’s (or address’s) rate limit is reached',
    handling: 'Retry after `Retry-After` seconds; `X-RateLimit-*` say the budget.',
    on: 'v1',
  },
  INTERNAL_ERROR: {
    status: 500,
    title: 'Internal error',
    meaning: '服务内部错误 · a fault in popscreen (a bug)',
    handling: 'Report it with `requestId`; a retry may or may not help.',
    on: 'v1',
  },
  SERVICE_UNAVAILABLE: {
    status: 503,
    title: 'Service unavailable',
    meaning:
      '数据库不可用，未作出任何结论 · the database cannot serve (down, refusing connections, or failed to store); nothing was decided',
    handling: RETRY,
    on: 'v1',
  },
  OVERLOADED: {
    status: 503,
    title: 'Service unavailable',
    meaning: '服务过载 · the server is overloaded (event loop delayed)',
    handling: RETRY,
    on: 'v1',
  },
  LONG_READS_BUSY: {
    status: 503,
    title: 'Service unavailable',
    meaning:
      '导出、校验或影响报告的并发已满 · the maximum of exports, verifications and impact reports are running',
    handling: RETRY,
    on: ['exportAuditEvents', 'verifyAuditChain', 'registryVersionImpact', 'popsTradeReport', 'decisionLog'],
  },
  NOT_READY: {
    status: 503,
    title: 'Service unavailable',
    meaning:
      '未就绪：正在停止、数据库无响应或无生效名录 · not ready: shutting down, the database does not answer, or no registry version is active',
    handling: 'Send traffic elsewhere; ask again after `Retry-After` seconds.',
    on: ['ready'],
  },
} as const satisfies Record<string, ProblemCodeDoc>

export type ProblemCode = keyof typeof PROBLEM_CODES

export const PROBLEM_CODE_NAMES = Object.keys(PROBLEM_CODES) as ProblemCode[]

/** What an operation accepts, as far as the generic scopes need to know. */
export interface OperationShape {
  operationId: string
  path: string
  method: string
  hasPathParameter: boolean
  hasInput: boolean
  idempotent: boolean
}

/** Whether an operation can answer a code. */
export function operationCanAnswer(op: OperationShape, code: ProblemCode): boolean {
  const on: ProblemScope = PROBLEM_CODES[code].on
  if (Array.isArray(on)) return on.includes(op.operationId)
  const v1 = op.path.startsWith('/v1/')
  switch (on) {
    case 'v1':
      return v1
    case 'post':
      return v1 && op.method.toLowerCase() === 'post'
    case 'path':
      return v1 && op.hasPathParameter
    case 'input':
      return v1 && op.hasInput
    case 'idempotent':
      return op.idempotent
    default:
      return false
  }
}

/** The codes an operation can answer, by status, in the order of PROBLEM_CODES. */
export function codesByStatus(op: OperationShape): Map<number, ProblemCode[]> {
  const byStatus = new Map<number, ProblemCode[]>()
  for (const code of PROBLEM_CODE_NAMES)
    if (operationCanAnswer(op, code)) {
      const status = PROBLEM_CODES[code].status
      byStatus.set(status, [...(byStatus.get(status) ?? []), code])
    }
  return byStatus
}
