/**
 * HS codes as declared in China: 6-digit HS subheading, 8-digit tariff line, 10-digit commodity code,
 * 13 digits = commodity code + 3-digit CIQ code. Separators are presentation only.
 */

export type HsParse =
  | { ok: true; digits: string }
  | { ok: false; code: 'HS_FORMAT' | 'HS_LENGTH' | 'HS_CHAPTER'; message: string }

const DECLARED_LENGTHS = new Set([4, 6, 8, 10, 13])
const SEPARATORS = /[.\s-]/g

/** A declared code: 4, 6, 8, 10 or 13 digits after removing `.`, spaces and `-`. */
export function parseHsCode(input: string): HsParse {
  const digits = input.replace(SEPARATORS, '')
  if (!/^\d+$/.test(digits))
    return { ok: false, code: 'HS_FORMAT', message: 'HS code must be digits with optional ".", space or "-"' }
  if (!DECLARED_LENGTHS.has(digits.length))
    return {
      ok: false,
      code: 'HS_LENGTH',
      message: `HS code has ${digits.length} digits; expected 4, 6, 8, 10 or 13`,
    }
  return checkChapter(digits)
}

/** A registry prefix or a lookup query: any 2 to 13 digits with a real chapter. */
export function parseHsPrefix(input: string): HsParse {
  const digits = input.replace(SEPARATORS, '')
  if (!/^\d{2,13}$/.test(digits))
    return { ok: false, code: 'HS_FORMAT', message: 'HS prefix must be 2 to 13 digits' }
  return checkChapter(digits)
}

function checkChapter(digits: string): HsParse {
  const chapter = Number(digits.slice(0, 2))
  if (chapter < 1 || chapter > 97 || chapter === 77)
    return {
      ok: false,
      code: 'HS_CHAPTER',
      message: `chapter ${digits.slice(0, 2)} does not exist (01–97, not 77)`,
    }
  return { ok: true, digits }
}

/** `2909300000` → `2909.30`: how officers read a subheading. */
export function formatHs6(digits: string): string {
  return digits.length >= 6 ? `${digits.slice(0, 4)}.${digits.slice(4, 6)}` : digits
}
