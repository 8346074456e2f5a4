import type { Direction, Outcome } from './registry-document.ts'

export type { Direction, Outcome }
export type Purpose = 'commercial' | 'laboratory-research' | 'reference-standard'

export type ReasonCode =
  | 'CAS_LISTED'
  | 'HS_DESIGNATES_SUBSTANCE'
  | 'EXEMPTION_MAY_APPLY'
  | 'LAB_SCALE_EXEMPTION'
  | 'TRACE_REVIEW'
  | 'CAS_REVIEW_LISTED'
  | 'HS_MAY_CONTAIN'
  | 'NAME_MENTIONED'
  | 'PERMIT_REQUIRED'
  | 'LISTED_NO_CHINA_MEASURE'

export type AdvisoryCode =
  | 'ARTICLE_MAY_CONTAIN'
  | 'TRACE_BELOW_LIMIT'
  | 'HS_RESIDUAL_CAS_DECLARED'
  | 'UNREADABLE_CAS'
  | 'STRICTER_TODAY'

export interface Bilingual {
  en: string
  zh: string
}

export interface Matched {
  field: 'casNumbers' | 'components' | 'hsCode' | 'description'
  value: string
  /** `cas-exact`, `hs-prefix-N` (N = matched prefix length) or `name`. */
  kind: string
}

export interface Reason {
  code: ReasonCode
  outcome: Outcome
  substanceId: string
  substance: Bilingual
  matched: Matched
  legalBasis: string
  message: Bilingual
}

export interface Advisory {
  code: AdvisoryCode
  /** Absent on UNREADABLE_CAS, which names a token in the text rather than a registry group. */
  substanceId?: string
  substance?: Bilingual
  matched: Matched
  message: Bilingual
  /** STRICTER_TODAY only: the outcome the line would have today, and the reason and measure behind it. */
  today?: StricterToday
}

export interface StricterToday {
  date: string
  outcome: Outcome
  reason: ReasonCode
  measure: { type: 'ban' | 'permit' | 'watch'; validFrom: string; validTo: string | null; legalBasis: string }
}

/** A declaration line after parsing: HS as digits, CAS numbers canonical. */
export interface PreparedLine {
  lineNo: number
  hsDigits: string
  casNumbers: readonly string[]
  description: string | undefined
  purpose: Purpose
  components: readonly { cas: string; name?: string | undefined; massFraction?: number | undefined }[]
}

export interface PreparedDeclaration {
  direction: Direction
  asOf: string
  lines: readonly PreparedLine[]
}

export interface LineResult {
  lineNo: number
  decision: Outcome
  reasons: Reason[]
  advisories: Advisory[]
}

export interface DeclarationResult {
  decision: Outcome
  lines: LineResult[]
}

export const OUTCOME_RANK: Readonly<Record<Outcome, number>> = { ALLOW: 0, REVIEW: 1, BLOCK: 2 }

export function maxOutcome(a: Outcome, b: Outcome): Outcome {
  // Compared directly rather than through OUTCOME_RANK: this runs for every reason of every line.
  if (a === 'BLOCK' || b === 'BLOCK') return 'BLOCK'
  return a === 'REVIEW' || b === 'REVIEW' ? 'REVIEW' : 'ALLOW'
}
