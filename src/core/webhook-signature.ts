import crypto from 'node:crypto'

/**
 * Webhook signatures (contract §11): `Popscreen-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
 * "<t>.<raw body>")>`. Signing the time with the body lets a receiver refuse a replayed old request.
 */
export const SIGNATURE_HEADER = 'Popscreen-Signature'

export function signatureHmac(secret: string, t: number, body: string): string {
  return crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')
}

export function signatureHeader(secret: string, body: string, now = Date.now()): string {
  const t = Math.floor(now / 1000)
  return `t=${t},v1=${signatureHmac(secret, t, body)}`
}

/**
 * What a receiver does: recompute the HMAC over the raw body, compare in constant time, and refuse a
 * time further than `toleranceSeconds` from its clock.
 */
export function verifySignature(
  secret: string,
  header: string,
  body: string,
  { toleranceSeconds = 300, now = Date.now() }: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]))
  const t = Number(parts.get('t'))
  const v1 = parts.get('v1') ?? ''
  if (!Number.isInteger(t) || Math.abs(now / 1000 - t) > toleranceSeconds) return false
  const expected = Buffer.from(signatureHmac(secret, t, body), 'hex')
  const given = Buffer.from(v1, 'hex')
  return given.length === expected.length && crypto.timingSafeEqual(given, expected)
}

/**
 * The wait before retry `attempt` (1 after the first failure): exponential from `baseMs`, at most `maxMs`,
 * with "equal jitter" (half fixed, half random) so that receivers coming back are not hit by every
 * subscription in the same second, while no retry comes sooner than half its step.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random = Math.random()): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 40))
  return Math.round(step / 2 + (step / 2) * random)
}
