import { kilogramsOf, type ScreeningRequest } from './screening-request.ts'
import type { LineResult, Outcome, PreparedDeclaration } from './types.ts'

/** What the trade report and the decision log need of one screened line, taken when it is decided. */
export interface LineFacts {
  lineNo: number
  hsCode: string
  casNumbers: string[]
  groups: string[]
  reasonCodes: string[]
  decision: Outcome
  quantity: number | null
  unit: string | null
  kilograms: number | null
  declaredValue: number | null
  currency: string | null
}

/**
 * Where a line stands among its screening's lines, in line number order: what the trade report counts
 * declarations by (a declaration counts once per group, and once per group and HS code, however many of
 * its lines meet them).
 */
export interface LineFirsts {
  /** The screening's first line: one row per screening. */
  firstLine: boolean
  /** The groups of `groups` that no earlier line of the screening met, in the order of `groups`. */
  firstGroups: string[]
  /** The groups of `groups` that no earlier line of the screening with the same HS code met. */
  firstHsGroups: string[]
  /** The first line of the screening that met any group. */
  firstPop: boolean
  /** The first line of the screening that met any group with this HS code. */
  firstPopHs: boolean
}

/** The `LineFirsts` of each of a screening's lines, in the order given (line numbers are unique). */
export function lineFirsts(
  lines: readonly { lineNo: number; hsCode: string; groups: readonly string[] }[],
): LineFirsts[] {
  const order = lines.map((_, i) => i).sort((a, b) => lines[a]!.lineNo - lines[b]!.lineNo)
  const firsts: LineFirsts[] = new Array(lines.length)
  const met = new Set<string>()
  // Keys `hs code \0 group`, and `hs code \0` for any group: a group id is never empty.
  const metWithHs = new Set<string>()
  let anyMet = false
  order.forEach((i, rank) => {
    const { hsCode, groups } = lines[i]!
    const firstGroups = groups.filter((g) => !met.has(g))
    const firstHsGroups = groups.filter((g) => !metWithHs.has(`${hsCode}\0${g}`))
    const hsAny = `${hsCode}\0`
    firsts[i] = {
      firstLine: rank === 0,
      firstGroups,
      firstHsGroups,
      firstPop: groups.length > 0 && !anyMet,
      firstPopHs: groups.length > 0 && !metWithHs.has(hsAny),
    }
    if (groups.length > 0) {
      anyMet = true
      metWithHs.add(hsAny)
      for (const g of groups) {
        met.add(g)
        metWithHs.add(`${hsCode}\0${g}`)
      }
    }
  })
  return firsts
}

const sortedUnique = (values: Iterable<string>) => [...new Set(values)].sort()

/**
 * The facts of each line, in the order of the request: groups and reason codes from the line's reasons
 * (an advisory is no finding), CAS numbers canonical (declared, then components, each once).
 */
export function lineFacts(
  request: ScreeningRequest,
  prepared: PreparedDeclaration,
  results: readonly LineResult[],
): (LineFacts & LineFirsts)[] {
  const facts = results.map((result, i) => {
    const line = request.lines[i]!
    const p = prepared.lines[i]!
    const quantity = line.quantity
    return {
      lineNo: result.lineNo,
      hsCode: p.hsDigits,
      casNumbers: [...new Set([...p.casNumbers, ...p.components.map((c) => c.cas)])],
      groups: sortedUnique(result.reasons.map((r) => r.substanceId)),
      reasonCodes: sortedUnique(result.reasons.map((r) => r.code)),
      decision: result.decision,
      quantity: quantity?.value ?? null,
      unit: quantity?.unit ?? null,
      kilograms: kilogramsOf(quantity),
      declaredValue: line.declaredValue?.amount ?? null,
      currency: line.declaredValue?.currency ?? null,
    }
  })
  const firsts = lineFirsts(facts)
  return facts.map((f, i) => ({ ...f, ...firsts[i]! }))
}
