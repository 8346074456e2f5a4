import { parseCas } from './cas.ts'
import { parseHsPrefix } from './hs.ts'
import type { RegistryGroup, RegistryHsRule } from './registry-document.ts'
import { measureInForce } from './screen.ts'
import type { RegistrySnapshot } from './snapshot.ts'
import { foldPattern } from './text.ts'

export interface LookupQuery {
  q?: string | undefined
  cas?: string | undefined
  hs?: string | undefined
}

export interface LookupHit {
  group: RegistryGroup
  /** For an `hs` query: the rules whose prefix the code starts with, or that start with the code. */
  hsRules?: RegistryHsRule[]
}

export type LookupProblem = { field: 'q' | 'cas' | 'hs'; code: string; message: string }

/** Finds groups by any name (folded, so width, case and spacing do not matter), CAS number or HS code. */
export function lookupSubstances(
  snapshot: RegistrySnapshot,
  query: LookupQuery,
): { ok: true; hits: LookupHit[] } | { ok: false; problems: LookupProblem[] } {
  const problems: LookupProblem[] = []
  let candidates: RegistryGroup[] = [...snapshot.groups.values()]
  let hsDigits: string | undefined
  if (query.cas !== undefined) {
    const parsed = parseCas(query.cas)
    if (!parsed.ok) problems.push({ field: 'cas', code: parsed.code, message: parsed.message })
    else {
      const ids = new Set((snapshot.cas.get(parsed.cas) ?? []).map((h) => h.group.id))
      candidates = candidates.filter((g) => ids.has(g.id))
    }
  }
  if (query.hs !== undefined) {
    const parsed = parseHsPrefix(query.hs)
    if (!parsed.ok) problems.push({ field: 'hs', code: parsed.code, message: parsed.message })
    else hsDigits = parsed.digits
  }
  // A query that folds to nothing (`-`, spaces) would be contained in every name: refused, not "everything".
  const needle = query.q === undefined ? undefined : foldPattern(query.q)
  if (needle === '')
    problems.push({
      field: 'q',
      code: 'NO_SEARCH_TEXT',
      message: 'q must contain a letter, digit or ideograph',
    })
  if (problems.length > 0) return { ok: false, problems }
  if (needle !== undefined) {
    candidates = candidates.filter((g) =>
      [
        g.id,
        g.names.zh,
        g.names.en,
        ...g.abbreviations,
        ...g.synonyms,
        ...g.tradeNames,
        ...g.reviewNames,
      ].some((name) => foldPattern(name).includes(needle)),
    )
  }
  const hits: LookupHit[] = []
  for (const group of candidates) {
    if (hsDigits === undefined) {
      hits.push({ group })
      continue
    }
    const code = hsDigits
    // The rules that apply to the code, and the lines within it when it is a heading (2908 holds 290811).
    const rules = group.hsRules.filter((r) => code.startsWith(r.prefix) || r.prefix.startsWith(code))
    if (rules.length > 0) hits.push({ group, hsRules: rules })
  }
  return { ok: true, hits }
}

export { measureInForce }
