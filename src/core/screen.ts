import {
  advisoryMessage,
  type LineAdvisoryCode,
  type MessageContext,
  reasonMessage,
  stricterTodayMessage,
} from './messages.ts'
import type { RegistryGroup, RegistryMeasure } from './registry-document.ts'
import type { HsHit, RegistrySnapshot } from './snapshot.ts'
import {
  type Advisory,
  type DeclarationResult,
  type Direction,
  type LineResult,
  type Matched,
  maxOutcome,
  OUTCOME_RANK,
  type Outcome,
  type PreparedDeclaration,
  type PreparedLine,
  type Purpose,
  type Reason,
  type ReasonCode,
} from './types.ts'

/** Below this mass fraction a component of a group without a numeric limit is a possible trace. */
export const TRACE_REVIEW_THRESHOLD = 0.001

const MEASURE_RANK: Record<RegistryMeasure['type'], number> = { ban: 3, permit: 2, watch: 1 }

/** The strictest measure of the group in force on `asOf` for `direction`, if any. */
export function measureInForce(
  group: RegistryGroup,
  asOf: string,
  direction: Direction,
): RegistryMeasure | undefined {
  let best: RegistryMeasure | undefined
  for (const m of group.measures) {
    if (m.validFrom > asOf || (m.validTo !== null && m.validTo < asOf) || !m.directions.includes(direction))
      continue
    if (!best || MEASURE_RANK[m.type] > MEASURE_RANK[best.type]) best = m
  }
  return best
}

interface Verdict {
  code: ReasonCode
  outcome: Outcome
  exemptUntil?: string
}

// Verdicts are allocated once, except an exemption's (it names its end date); a line meets several.
const review = (code: ReasonCode): Verdict => ({ code, outcome: 'REVIEW' })
const PERMIT_REQUIRED = review('PERMIT_REQUIRED')
const LISTED_NO_CHINA_MEASURE = review('LISTED_NO_CHINA_MEASURE')
const LAB_SCALE_EXEMPTION = review('LAB_SCALE_EXEMPTION')
const CAS_REVIEW_LISTED = review('CAS_REVIEW_LISTED')
const TRACE_REVIEW = review('TRACE_REVIEW')
const HS_MAY_CONTAIN = review('HS_MAY_CONTAIN')
const NAME_MENTIONED = review('NAME_MENTIONED')
type BlockingCode = 'CAS_LISTED' | 'HS_DESIGNATES_SUBSTANCE'
const BLOCKED: Record<BlockingCode, Verdict> = {
  CAS_LISTED: { code: 'CAS_LISTED', outcome: 'BLOCK' },
  HS_DESIGNATES_SUBSTANCE: { code: 'HS_DESIGNATES_SUBSTANCE', outcome: 'BLOCK' },
}

/**
 * What a match on a listed identifier means on that day: a ban blocks unless a lab purpose or an open
 * exempt use turns it into a question; a permit or a watch entry is always a question.
 */
function verdictFor(base: BlockingCode, measure: RegistryMeasure, purpose: Purpose, asOf: string): Verdict {
  if (measure.type === 'permit') return PERMIT_REQUIRED
  if (measure.type === 'watch') return LISTED_NO_CHINA_MEASURE
  if (purpose !== 'commercial') return LAB_SCALE_EXEMPTION
  for (const ex of measure.exemptions)
    if (ex.from <= asOf && asOf <= ex.until)
      return { code: 'EXEMPTION_MAY_APPLY', outcome: 'REVIEW', exemptUntil: ex.until }
  return BLOCKED[base]
}

function sameMatch(a: Matched, b: Matched): boolean {
  return a.field === b.field && a.value === b.value
}

/** `hs-prefix-N` by N, built once rather than per hit. */
const HS_PREFIX_KIND = Array.from({ length: 14 }, (_, n) => `hs-prefix-${n}`)

class LineScreen {
  readonly reasons: Reason[] = []
  readonly advisories: Advisory[] = []
  // Groups met on this line and their measure in force (null: none); a line meets a few groups at most.
  private readonly measureGroups: RegistryGroup[] = []
  private readonly measures: (RegistryMeasure | null)[] = []

  constructor(
    private readonly line: PreparedLine,
    private readonly direction: Direction,
    private readonly asOf: string,
  ) {}

  measureOf(group: RegistryGroup): RegistryMeasure | undefined {
    let i = this.measureGroups.indexOf(group)
    if (i < 0) {
      i = this.measureGroups.push(group) - 1
      this.measures.push(measureInForce(group, this.asOf, this.direction) ?? null)
    }
    return this.measures[i] ?? undefined
  }

  /** True the first time a code, group and matched value meet in `list`; a line has a few at most. */
  private isNew(list: readonly (Reason | Advisory)[], code: string, group: RegistryGroup, matched: Matched) {
    for (const r of list)
      if (r.code === code && r.substanceId === group.id && sameMatch(r.matched, matched)) return false
    return true
  }

  listed(group: RegistryGroup, base: BlockingCode, matched: Matched): void {
    const measure = this.measureOf(group)
    if (!measure) return
    this.reason(group, measure, verdictFor(base, measure, this.line.purpose, this.asOf), matched)
  }

  reason(
    group: RegistryGroup,
    measure: RegistryMeasure,
    verdict: Verdict,
    matched: Matched,
    massFraction?: number,
    containedLine?: string,
  ): void {
    if (!this.isNew(this.reasons, verdict.code, group, matched)) return
    const context: MessageContext = {
      group,
      measure,
      matched,
      direction: this.direction,
      asOf: this.asOf,
      exemptUntil: verdict.exemptUntil,
      traceLimit: undefined,
      massFraction,
      containedLine,
    }
    this.reasons.push({
      code: verdict.code,
      outcome: verdict.outcome,
      substanceId: group.id,
      substance: group.names,
      matched,
      legalBasis: measure.legalBasis,
      message: reasonMessage(verdict.code, context),
    })
  }

  /** A residual line, or a heading that contains a group's lines (`containedLine`, for the message). */
  residual(
    group: RegistryGroup,
    matched: Matched,
    declaresNothing: boolean,
    anyDeclaredCasListed: boolean,
    containedLine?: string,
  ): void {
    const measure = this.measureOf(group)
    if (!measure) return
    if (declaresNothing) this.reason(group, measure, HS_MAY_CONTAIN, matched, undefined, containedLine)
    else if (!anyDeclaredCasListed)
      this.advisory('HS_RESIDUAL_CAS_DECLARED', group, matched, undefined, containedLine)
  }

  advisory(
    code: LineAdvisoryCode,
    group: RegistryGroup,
    matched: Matched,
    trace?: { traceLimit: number; massFraction: number },
    containedLine?: string,
  ): void {
    if (!this.measureOf(group) || !this.isNew(this.advisories, code, group, matched)) return
    this.advisories.push({
      code,
      substanceId: group.id,
      substance: group.names,
      matched,
      message: advisoryMessage(code, {
        group,
        matched,
        direction: this.direction,
        asOf: this.asOf,
        exemptUntil: undefined,
        traceLimit: trace?.traceLimit,
        massFraction: trace?.massFraction,
        containedLine,
      }),
    })
  }
}

function screenLine(
  line: PreparedLine,
  snapshot: RegistrySnapshot,
  direction: Direction,
  asOf: string,
): LineResult {
  const s = new LineScreen(line, direction, asOf)
  let anyDeclaredCasListed = false

  for (const cas of line.casNumbers) {
    const hits = snapshot.cas.get(cas)
    if (!hits) continue
    anyDeclaredCasListed = true
    const matched: Matched = { field: 'casNumbers', value: cas, kind: 'cas-exact' }
    for (const { group, entry } of hits) {
      if (entry.scope === 'review') {
        const measure = s.measureOf(group)
        if (measure) s.reason(group, measure, CAS_REVIEW_LISTED, matched)
      } else s.listed(group, 'CAS_LISTED', matched)
    }
  }

  for (const component of line.components) {
    const hits = snapshot.cas.get(component.cas)
    if (!hits) continue
    anyDeclaredCasListed = true
    const matched: Matched = { field: 'components', value: component.cas, kind: 'cas-exact' }
    const fraction = component.massFraction
    for (const { group, entry } of hits) {
      const measure = s.measureOf(group)
      if (!measure) continue
      if (entry.scope === 'review') {
        s.reason(group, measure, CAS_REVIEW_LISTED, matched)
      } else if (fraction === undefined) {
        s.listed(group, 'CAS_LISTED', matched)
      } else if (group.traceLimit !== null) {
        if (fraction < group.traceLimit)
          s.advisory('TRACE_BELOW_LIMIT', group, matched, {
            traceLimit: group.traceLimit,
            massFraction: fraction,
          })
        else s.listed(group, 'CAS_LISTED', matched)
      } else if (fraction < TRACE_REVIEW_THRESHOLD && measure.type === 'ban') {
        // Contract §4: a trace question arises only under a ban; a permit or watch entry is asked as such.
        s.reason(group, measure, TRACE_REVIEW, matched, fraction)
      } else s.listed(group, 'CAS_LISTED', matched)
    }
  }

  screenHs(s, line, snapshot, anyDeclaredCasListed)

  if (line.description) {
    // The longest name found per group, in order of first appearance; an ambiguous abbreviation counts only
    // beside a context word of its group.
    const found: { name: string; length: number; group: RegistryGroup }[] = []
    const matches = snapshot.names.find(line.description)
    for (const m of matches) {
      const hit = m.value
      if (hit.role === 'context') continue
      if (
        hit.role === 'ambiguous' &&
        !matches.some((c) => c.value.role === 'context' && c.value.group === hit.group)
      )
        continue
      const length = m.end - m.start
      const previous = found.find((f) => f.group === hit.group)
      if (!previous) found.push({ name: m.name, length, group: hit.group })
      else if (length > previous.length) {
        previous.name = m.name
        previous.length = length
      }
    }
    for (const { name, group } of found) {
      const measure = s.measureOf(group)
      if (measure)
        s.reason(group, measure, NAME_MENTIONED, {
          field: 'description',
          value: name,
          kind: 'name',
        })
    }
  }

  let decision: Outcome = 'ALLOW'
  for (const r of s.reasons) decision = maxOutcome(decision, r.outcome)
  return { lineNo: line.lineNo, decision, reasons: s.reasons, advisories: s.advisories }
}

function screenHs(
  s: LineScreen,
  line: PreparedLine,
  snapshot: RegistrySnapshot,
  anyDeclaredCasListed: boolean,
): void {
  const code = line.hsDigits
  // Longest matching prefix per group and rule kind: 2908199023 designates Na-PCP, 290819 is only residual.
  // Prefixes come longest first, so the first hit of a group and kind is its longest. A line has a handful
  // of hits at most; a scan of a small array beats a Map keyed by built strings here.
  const best: { group: RegistryGroup; rule: HsHit['rule']; length: number }[] = []
  for (const { length, hits } of snapshot.hs.prefixesOf(code))
    for (const hit of hits)
      if (!best.some((b) => b.group === hit.group && b.rule.kind === hit.rule.kind))
        best.push({ group: hit.group, rule: hit.rule, length })
  const declaresNothing = line.casNumbers.length === 0 && line.components.length === 0
  for (const { group, rule, length } of best) {
    const matched: Matched = { field: 'hsCode', value: code, kind: HS_PREFIX_KIND[length]! }
    if (rule.kind === 'designates') s.listed(group, 'HS_DESIGNATES_SUBSTANCE', matched)
    else if (rule.kind === 'article') s.advisory('ARTICLE_MAY_CONTAIN', group, matched)
    else if (!best.some((b) => b.group === group && b.rule.kind === 'designates'))
      s.residual(group, matched, declaresNothing, anyDeclaredCasListed)
  }
  // A heading declared above a group's lines (2908 above 290811) may be those goods: it is a residual line
  // for every group it contains, unless a line of the code itself already spoke for the group.
  const within = snapshot.hs.linesWithin(code)
  if (within.length === 0) return
  const matched: Matched = { field: 'hsCode', value: code, kind: HS_PREFIX_KIND[code.length]! }
  // Per group its shortest contained line, a substance line (designating or residual) before an article line.
  const contained: HsHit[] = []
  for (const { hits } of within)
    for (const hit of hits) {
      const i = contained.findIndex((c) => c.group === hit.group)
      if (i < 0) contained.push(hit)
      else if (contained[i]!.rule.kind === 'article' && hit.rule.kind !== 'article') contained[i] = hit
    }
  for (const { group, rule } of contained) {
    if (rule.kind === 'article') {
      if (!best.some((b) => b.group === group))
        s.advisory('ARTICLE_MAY_CONTAIN', group, matched, undefined, rule.prefix)
    } else if (!best.some((b) => b.group === group && b.rule.kind !== 'article'))
      s.residual(group, matched, declaresNothing, anyDeclaredCasListed, rule.prefix)
  }
}

export interface ScreenOptions {
  /**
   * Today's date (the caller's clock: the core reads none). When the declaration is dated otherwise, each
   * line is also decided as of today, and a line that would be stricter today carries STRICTER_TODAY.
   */
  today?: string | undefined
}

/**
 * STRICTER_TODAY for a line whose outcome today is stricter than on its own date: a backdated
 * declaration must never turn today's BLOCK into ALLOW silently. It names today's strictest reason, its
 * group and the measure in force today.
 */
function stricterToday(
  line: LineResult,
  todayLine: LineResult,
  snapshot: RegistrySnapshot,
  direction: Direction,
  asOf: string,
  today: string,
): Advisory | null {
  if (OUTCOME_RANK[todayLine.decision] <= OUTCOME_RANK[line.decision]) return null
  const reason = todayLine.reasons.find((r) => r.outcome === todayLine.decision)!
  const group = snapshot.groups.get(reason.substanceId)
  const measure = group && measureInForce(group, today, direction)
  if (!group || !measure) return null
  const facts = {
    date: today,
    outcome: todayLine.decision,
    reason: reason.code,
    measure: {
      type: measure.type,
      validFrom: measure.validFrom,
      validTo: measure.validTo,
      legalBasis: measure.legalBasis,
    },
  }
  return {
    code: 'STRICTER_TODAY',
    substanceId: group.id,
    substance: group.names,
    matched: reason.matched,
    message: stricterTodayMessage(group, asOf, line.decision, facts),
    today: facts,
  }
}

/** Pure: the same declaration, snapshot and options always give the same result. */
export function screenDeclaration(
  declaration: PreparedDeclaration,
  snapshot: RegistrySnapshot,
  options: ScreenOptions = {},
): DeclarationResult {
  let decision: Outcome = 'ALLOW'
  const lines: LineResult[] = []
  const { today } = options
  for (const line of declaration.lines) {
    const result = screenLine(line, snapshot, declaration.direction, declaration.asOf)
    if (today !== undefined && today !== declaration.asOf) {
      const todayLine = screenLine(line, snapshot, declaration.direction, today)
      const advisory = stricterToday(
        result,
        todayLine,
        snapshot,
        declaration.direction,
        declaration.asOf,
        today,
      )
      if (advisory) result.advisories.push(advisory)
    }
    decision = maxOutcome(decision, result.decision)
    lines.push(result)
  }
  return { decision, lines }
}
