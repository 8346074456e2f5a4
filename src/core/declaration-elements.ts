import { casCheckDigit, parseCas } from './cas.ts'
import type { Advisory } from './types.ts'

/**
 * Reading CAS numbers and contents out of a DecMessage line's `GModel` (the 申报要素, declaration elements)
 * and `Stuff` (成份) — dec-message.md §5. Both are free text written by declarants, so the rules are few
 * and literal: items, CAS-shaped tokens, contents beside them.
 */
export interface ExtractedComponent {
  cas: string
  massFraction: number
}

export interface Extracted {
  /** CAS numbers read without a content below 100 %: the declared goods or an intentionally added ingredient. */
  casNumbers: string[]
  /** CAS numbers read with a content below 100 %, at the largest content read for them. */
  components: ExtractedComponent[]
  /** CAS-shaped tokens that are not valid CAS numbers (check digit or form), as written after NFKC. */
  unreadable: string[]
}

// `|` separates GModel's template positions; the rest separate items inside a position and in Stuff.
// NFKC has already turned `；`, `，`, `｜` and `＋` into their ASCII forms; `、` has no other form.
const ITEM_SEPARATORS = /[|;,、+\r\n\u2028\u2029]/

// 2–7 digits, 2 digits, 1 digit, touching no other digit or hyphen (so `2023-12-31` or `1-2-3-4` are
// not candidates).
const CAS_TOKEN = /(?<![\d-])\d{2,7}-\d{2}-\d(?![\d-])/g

// A number directly followed by a unit. The comparison words the contract lists (`<`, `≤`, `小于`, `含量`,
// `≥` …) do not change the value: a bound counts as the bound, so they need not be matched. A range
// (`30-40%`, `30~40%`) has the unit only after its upper end, which is therefore the value read.
const CONTENT = /(?<![\d.])(\d+(?:\.\d+)?|\.\d+)\s*(%|ppm|ppb|mg\/kg)/gi

// Powers of ten of each unit, applied in the number's own notation (`99.9e-2`), so a declared 99.9 % is
// the double nearest 0.999 rather than 99.9 / 100 = 0.9990000000000001.
const EXPONENT: Record<string, number> = { '%': 2, ppm: 6, ppb: 9, 'mg/kg': 6 }

/** Reads one line's GModel and Stuff (either may be absent). */
export function extractDeclarationElements(gModel: string | undefined, stuff: string | undefined): Extracted {
  const readings = new Map<string, number[]>()
  const unreadable: string[] = []
  for (const text of [gModel, stuff]) {
    if (!text) continue
    for (const item of text.normalize('NFKC').split(ITEM_SEPARATORS)) readItem(item, readings, unreadable)
  }
  const casNumbers: string[] = []
  const components: ExtractedComponent[] = []
  for (const [cas, contents] of readings) {
    if (contents.some((c) => c < 1)) components.push({ cas, massFraction: Math.max(...contents) })
    else casNumbers.push(cas)
  }
  return { casNumbers, components, unreadable }
}

function readItem(item: string, readings: Map<string, number[]>, unreadable: string[]): void {
  const tokens = item.match(CAS_TOKEN)
  if (!tokens) return
  const found: string[] = []
  for (const token of tokens) {
    const parsed = parseCas(token)
    if (parsed.ok) found.push(parsed.cas)
    else if (!unreadable.includes(token)) unreadable.push(token)
  }
  if (found.length === 0) return
  // The CAS tokens themselves are digits too: blank them out before reading numbers.
  const contents = contentsIn(item.replace(CAS_TOKEN, ' '))
  for (const cas of found) {
    const list = readings.get(cas)
    if (list) list.push(...contents)
    else readings.set(cas, [...contents])
  }
}

/** Mass fractions in (0, 1] read from an item; a content of 0 or above 100 % is not a content. */
function contentsIn(text: string): number[] {
  const contents: number[] = []
  for (const m of text.matchAll(CONTENT)) {
    const fraction = Number(`${m[1]}e-${EXPONENT[m[2]!.toLowerCase()]}`)
    if (fraction > 0 && fraction <= 1) contents.push(fraction)
  }
  return contents
}

/**
 * UNREADABLE_CAS (screening contract §4, v2): a CAS-shaped token whose check digit fails is not screened,
 * so the officer must see it rather than have it silently dropped.
 */
export function unreadableCasAdvisory(token: string): Advisory {
  const [first, middle, check] = token.split('-') as [string, string, string]
  const expected = casCheckDigit(first + middle)
  const why =
    Number(check) === expected
      ? { en: 'is not a CAS number (leading zeros)', zh: '不是有效的CAS号（前导零）' }
      : { en: `fails its check digit (${expected} expected)`, zh: `校验位不符（应为${expected}）` }
  return {
    code: 'UNREADABLE_CAS',
    matched: { field: 'description', value: token, kind: 'cas-unreadable' },
    message: {
      en: `"${token}" in the declaration elements or composition looks like a CAS number but ${why.en}: it was not screened; check the declared substance.`,
      zh: `申报要素或成份中的“${token}”形似CAS号，但${why.zh}，未参与筛查，请核实申报物质。`,
    },
  }
}
