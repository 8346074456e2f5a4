import type { OpenAPIV3_1 } from 'openapi-types'

/**
 * The error answers /docs declares. Each example is an answer popscreen gave (captured into
 * examples/answers.json) except 429, 503 and the idempotency 409, which need load, a failed database or
 * a race to provoke; those are written out from the messages in src/http/plugins/security.ts,
 * src/services/errors.ts and src/services/screening-service.ts.
 */
export const PROBLEM_REF = { $ref: '#/components/schemas/Problem' }

export const STATUS_NAMES: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  414: 'UriTooLong',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  422: 'ValidationFailed',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
}

export const STATUS_DESCRIPTIONS: Record<number, string> = {
  400: '请求体不是合法的 UTF-8 JSON，或 URL 无法解析 · the body is not well-formed UTF-8 JSON, or the URL is malformed',
  401: '缺少密钥或密钥无效、已吊销 · missing, unknown or revoked API key',
  403: '该角色无权调用此操作 · the key’s role may not call this operation',
  404: '未找到 · not found',
  409: '冲突 · conflict',
  413: '请求体超过大小限制 · the body is larger than the limit',
  414: '路径参数过长 · a path parameter is too long',
  415: '只接受 UTF-8 JSON · only UTF-8 JSON is accepted',
  422: '字段校验失败，`errors` 逐项列出 · invalid fields, each listed in `errors`',
  429: '超过该密钥的请求频率限制，`Retry-After` 秒后重试 · the key’s rate limit is reached; retry after `Retry-After` seconds',
  500: '服务内部错误 · a fault in popscreen',
  503: '数据库不可用或服务过载，未作出任何结论，`Retry-After` 秒后重试 · database unavailable or overloaded; nothing was decided, retry after `Retry-After` seconds',
}

export const WRITTEN_PROBLEMS: Record<string, Record<string, unknown>> = {
  429: {
    type: '/problems/rate-limited',
    title: 'Too many requests',
    status: 429,
    detail: 'rate limit of 60000 requests per 1 minute reached',
    instance: '/v1/screenings',
    code: 'RATE_LIMITED',
    requestId: 'c7ead3b8-67a3-44d5-9e69-ebdd60af086f',
  },
  503: {
    type: '/problems/service-unavailable',
    title: 'Service unavailable',
    status: 503,
    detail: 'the decision could not be stored durably; no decision was made',
    instance: '/v1/screenings',
    code: 'SERVICE_UNAVAILABLE',
    requestId: '3f1f7f0e-5c1a-4f0b-9a51-2b8f4f7f3c11',
  },
  409: {
    type: '/problems/idempotency-in-flight',
    title: 'Conflict',
    status: 409,
    detail: 'a request with this Idempotency-Key is still being processed',
    instance: '/v1/screenings',
    code: 'IDEMPOTENCY_IN_FLIGHT',
    requestId: '8a0c2f5e-91d7-4b3e-8f6a-0d4c2b1e7a93',
  },
}

export const NOT_READY_PROBLEM = {
  type: '/problems/not-ready',
  title: 'Service unavailable',
  status: 503,
  detail: 'database does not answer',
  instance: '/health/ready',
  code: 'NOT_READY',
  requestId: '5b2e8c1d-3a4f-4e6b-9c7d-1f0a2b3c4d5e',
}

/** Headers popscreen sends, declared once and referenced by the responses that carry them. */
export const HEADERS: Record<string, OpenAPIV3_1.HeaderObject> = {
  'X-Request-Id': {
    description:
      '服务端为本次请求生成的 id，与问题详情和审计事件中的 `requestId` 相同；调用方自带的 `X-Request-Id` 不会被沿用，而是作为 `clientRequestId` 记入审计事件和日志 · the id this server gave the request (also `requestId` in problems and audit events); a caller’s own X-Request-Id is not taken over but kept as `clientRequestId` in the audit payload and the logs',
    schema: { type: 'string' },
    example: 'd2bd687e-999d-40fe-90d6-0b24fd2c846d',
  },
  'X-RateLimit-Limit': {
    description: '每个时间窗内该密钥可发的请求数 · requests allowed per window for this key',
    schema: { type: 'integer' },
    example: 60000,
  },
  'X-RateLimit-Remaining': {
    description: '本时间窗内剩余的请求数 · requests left in this window',
    schema: { type: 'integer' },
    example: 59987,
  },
  'X-RateLimit-Reset': {
    description: '距本时间窗结束的秒数 · seconds until the window resets',
    schema: { type: 'integer' },
    example: 42,
  },
  'Retry-After': {
    description: '多少秒后重试 · seconds to wait before retrying',
    schema: { type: 'integer' },
    example: 1,
  },
  'Idempotency-Replayed': {
    description: '`true` 时为按 Idempotency-Key 重放的已存结果 · `true` when the stored answer is replayed',
    schema: { type: 'string', enum: ['true'] },
  },
}
