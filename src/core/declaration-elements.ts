import { parseCas } from './cas.ts'

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

const SCALE: Record<string, number> = { '%': 100, ppm: 1e6, ppb: 1e9, 'mg/kg': 1e6 }

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
    const fraction = Number(m[1]) / SCALE[m[2]!.toLowerCase()]!
    if (fraction > 0 && fraction <= 1) contents.push(fraction)
  }
  return contents
}
