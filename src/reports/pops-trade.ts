/** The POPs trade report's shape (contract §8): figures per substance group, direction and breakdown. */

export type Decision = 'ALLOW' | 'REVIEW' | 'BLOCK'
export type Tally = Record<Decision, number>

export interface Figures {
  /** Declarations with at least one line in the cell, each by its latest screening in the period. */
  declarations: number
  lines: number
  /** Sum of the quantities declared in kg or customs unit 035. */
  kilograms: number
  /** Lines without any declared quantity. */
  linesWithoutQuantity: number
  /** Quantities in any other unit, summed per unit as declared (never converted). */
  otherQuantities: { unit: string; quantity: number; lines: number }[]
  declaredValue: { currency: string; amount: number }[]
  /** The lines' decisions when screened. */
  initialDecision: Tally
  /** After review: a REVIEW line whose case is resolved counts under the officer's outcome; open ones stay REVIEW. */
  finalDisposition: Tally
}

export type Breakdown<K extends string> = (Figures & Record<K, string | null>)[]

export interface DirectionFigures extends Figures {
  direction: 'import' | 'export'
  byMonth: Breakdown<'month'>
  byHsCode: (Figures & { hsCode: string; hsDescription: string | null })[]
  byTradeCountry: Breakdown<'tradeCountry'>
  byCustomsOffice: Breakdown<'customsOffice'>
}

export interface GroupFigures extends Figures {
  directions: DirectionFigures[]
}

export interface PopsTradeReport {
  period: { from: string; to: string; timeZone: 'Asia/Shanghai' }
  direction: 'import' | 'export' | null
  generatedAt: string
  /** Registry version whose group names label the report. */
  registryVersion: string | null
  /** Every line that met at least one group, counted once whatever the number of groups it met. */
  totals: GroupFigures
  groups: (GroupFigures & { id: string; name: { zh: string; en: string } })[]
}

export const DECISIONS: readonly Decision[] = ['ALLOW', 'REVIEW', 'BLOCK']

export const emptyFigures = (): Figures => ({
  declarations: 0,
  lines: 0,
  kilograms: 0,
  linesWithoutQuantity: 0,
  otherQuantities: [],
  declaredValue: [],
  initialDecision: { ALLOW: 0, REVIEW: 0, BLOCK: 0 },
  finalDisposition: { ALLOW: 0, REVIEW: 0, BLOCK: 0 },
})
