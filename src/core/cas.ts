/** CAS Registry Numbers: 2–7 digits, 2 digits, 1 check digit (https://www.cas.org/support/documentation/chemical-substances/checkdig). */

export type CasParse =
  | { ok: true; cas: string }
  | { ok: false; code: 'CAS_FORMAT' | 'CAS_CHECK_DIGIT'; message: string }

const HYPHENATED = /^0*([1-9]\d{1,6})-(\d{2})-(\d)$/
const PLAIN = /^0*([1-9]\d{1,6})(\d{2})(\d)$/

/** Accepts `1163-19-5`, `1163195` and zero-padded `0001163-19-5`; answers the canonical hyphenated form. */
export function parseCas(input: string): CasParse {
  const text = input.trim()
  const m = HYPHENATED.exec(text) ?? PLAIN.exec(text)
  if (!m)
    return {
      ok: false,
      code: 'CAS_FORMAT',
      message: `"${truncate(text)}" is not a CAS number (2–7 digits, 2 digits, 1 check digit, e.g. 87-68-3)`,
    }
  const [, first, middle, check] = m as unknown as [string, string, string, string]
  const expected = casCheckDigit(first + middle)
  if (expected !== Number(check))
    return {
      ok: false,
      code: 'CAS_CHECK_DIGIT',
      message: `CAS ${first}-${middle}-${check} fails its check digit (expected ${expected})`,
    }
  return { ok: true, cas: `${first}-${middle}-${check}` }
}

/** Sum of each digit times its position counted from the right, modulo 10. */
export function casCheckDigit(digits: string): number {
  let sum = 0
  for (let i = 0; i < digits.length; i++) sum += (digits.charCodeAt(digits.length - 1 - i) - 48) * (i + 1)
  return sum % 10
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}
