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

const sortedUnique = (values: Iterable<string>) => [...new Set(values)].sort()

/**
 * The facts of each line, in the order of the request: groups and reason codes from the line's reasons
 * (an advisory is no finding), CAS numbers canonical (declared, then components, each once).
 */
export function lineFacts(
  request: ScreeningRequest,
  prepared: PreparedDeclaration,
  results: readonly LineResult[],
): LineFacts[] {
  return results.map((result, i) => {
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
}
