import { randomBytes } from 'node:crypto'
import { uuidv7 } from 'uuidv7'
import { sealEvents } from '../src/core/audit-chain.ts'
import { lineFirsts } from '../src/core/line-facts.ts'
import { insertRowsSql } from '../src/db/bulk-insert.ts'
import type { Db } from '../src/db/client.ts'
import { reviewCases, screeningLines, screenings } from '../src/db/schema.ts'
import { insertEvents, readTail } from '../src/services/audit-log.ts'

/**
 * Fills a database with `lineCount` screened lines of a realistic mix over one year, for the trade-report
 * and decision-log benches: screenings, their fact rows, review cases (most resolved) and a real, chained
 * audit event per screening (a small payload: the benches read facts, never payloads). Seeded, so every
 * run writes the same mix:
 * - 75 % imports; 1 line (50 %), 2–5 (40 %), 6–20 (9 %) or 100 lines (1 %) per declaration;
 * - 85 % of lines everyday goods that meet no group; the rest decaBDE, SCCPs, PCP, HCBD, PCNs, PFOS or
 *   HBCDD on their HS lines, half BLOCK and half REVIEW, 5 % of them meeting a second group;
 * - 90 % with a quantity (85 % in `035`, 5 % `kg`, 10 % in other units), 95 % with a value (USD, CNY, EUR);
 * - 25 trade countries, 10 customs offices of 南宁海关; 3 % of declarations re-screened later.
 */
export async function fillScreenedLines(
  db: Db,
  lineCount: number,
  { year = 2025, seed = 17, log = (_: string) => {} } = {},
): Promise<{ lines: number; screenings: number }> {
  let state = seed >>> 0
  const random = () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!
  const weighted = <T>(items: readonly (readonly [T, number])[]) => {
    let r = random() * items.reduce((s, [, w]) => s + w, 0)
    for (const [item, w] of items) {
      r -= w
      if (r < 0) return item
    }
    return items[items.length - 1]![0]
  }
  const POPS = [
    ['decabde', 30, ['2909300000', '3824999990', '3907300000'], ['1163-19-5']],
    ['sccp', 30, ['3824999990', '3824890000', '2710199990'], ['85535-84-8']],
    ['pcp', 15, ['2908110000', '2908199023', '3808940000'], ['87-86-5']],
    ['hcbd', 10, ['2903290000'], ['87-68-3']],
    ['pcn', 5, ['2903990090'], ['70776-03-3']],
    ['pfos', 5, ['2904310000', '3402420000'], ['1763-23-1']],
    ['hbcdd', 5, ['2903890000'], ['25637-99-4']],
  ] as const
  const EVERYDAY = Array.from({ length: 200 }, (_, i) =>
    String(3900000000 + ((i * 7_919_113) % 99_999_999)).padStart(10, '0'),
  ).concat(['8544492100', '6307909000', '9403200000', '8471300000', '3926909090'])
  const COUNTRIES = ['VN', 'DE', 'US', 'JP', 'KR', 'TH', 'MY', 'ID', 'SG', 'IN', 'GB', 'FR', 'NL', 'IT', 'BE']
    .concat(['ES', 'BR', 'AU', 'CA', 'MX', 'RU', 'SA', 'AE', 'PH', 'MM'])
    .map((c, i) => [c, i < 3 ? 12 : i < 8 ? 5 : 1] as const)
  const OFFICES = ['7201', '7202', '7203', '7204', '7205', '7206', '7207', '7208', '7209', '7210'].map(
    (o, i) => [o, i === 0 ? 10 : i < 4 ? 4 : 1] as const,
  )
  const yearStart = Date.UTC(year, 0, 1) - 8 * 3_600_000 // midnight in Shanghai
  const yearMs = Date.UTC(year + 1, 0, 1) - Date.UTC(year, 0, 1)
  const actor = { keyId: null, name: 'bench-fill', role: 'screener' as const }
  const actorKeyId = '00000000-0000-7000-8000-00000000b17e'

  let tail = await readTail(db)
  let written = 0
  let screeningCount = 0
  let declarationNo = 0
  const rescreens: { declarationId: string; decidedAt: number; direction: string }[] = []
  while (written < lineCount) {
    const batch: {
      id: string
      declarationId: string
      direction: string
      decidedAt: Date
      decision: string
      lines: (typeof screeningLines.$inferInsert)[]
    }[] = []
    while (batch.length < 2_000 && written < lineCount) {
      const again = rescreens.length > 0 && random() < 0.03 ? rescreens.shift()! : null
      const declarationId = again?.declarationId ?? `4501${year}${String(++declarationNo).padStart(10, '0')}`
      const direction = again?.direction ?? (random() < 0.75 ? 'import' : 'export')
      const at = again
        ? Math.min(again.decidedAt + random() * 10 * 86_400_000, yearStart + yearMs - 1)
        : yearStart + Math.floor(random() * yearMs)
      const size = Math.min(
        lineCount - written,
        weighted([
          [1, 50],
          [2 + Math.floor(random() * 4), 40],
          [6 + Math.floor(random() * 15), 9],
          [100, 1],
        ] as const),
      )
      const tradeCountry = weighted(COUNTRIES)
      const customsOffice = weighted(OFFICES)
      const id = uuidv7()
      const decidedAt = new Date(at)
      const decidedDay = new Date(at + 8 * 3_600_000).toISOString().slice(0, 10)
      const lines: (typeof screeningLines.$inferInsert)[] = []
      for (let n = 1; n <= size; n++) {
        const pop = random() < 0.15 ? weighted(POPS.map((p) => [p, p[1]] as const)) : null
        const second = pop && random() < 0.05 ? pick(POPS.filter((p) => p !== pop)) : null
        const decision = pop ? (random() < 0.5 ? 'BLOCK' : 'REVIEW') : 'ALLOW'
        const hasQuantity = random() < 0.9
        const unit = hasQuantity
          ? weighted([
              ['035', 85],
              ['kg', 5],
              ['007', 6],
              ['036', 4],
            ] as const)
          : null
        const quantity = hasQuantity ? Math.round(random() * 20_000 * 1000) / 1000 + 0.001 : null
        const hasValue = random() < 0.95
        const groups = pop ? [pop[0], ...(second ? [second[0]] : [])].sort() : []
        lines.push({
          screeningId: id,
          lineNo: n,
          declarationId,
          direction,
          decidedAt,
          decidedDay,
          auditSequence: 0,
          registryVersion: '2024.1',
          declarationDecision: 'ALLOW',
          hsCode: pop ? pick(pop[2]) : pick(EVERYDAY),
          casNumbers: pop ? [pop[3][0], ...(second ? [second[3][0]] : [])] : [],
          groups,
          reasonCodes: pop ? [decision === 'BLOCK' ? 'CAS_LISTED' : 'EXEMPTION_MAY_APPLY'] : [],
          decision,
          quantity,
          unit,
          kilograms: unit === '035' || unit === 'kg' ? quantity : null,
          declaredValue: hasValue ? Math.round(random() * 100_000 * 100) / 100 : null,
          currency: hasValue
            ? weighted([
                ['USD', 70],
                ['CNY', 20],
                ['EUR', 10],
              ] as const)
            : null,
          tradeCountry,
          customsOffice,
        })
      }
      lineFirsts(lines).forEach((f, i) => {
        Object.assign(lines[i]!, f)
      })
      const decision = lines.some((l) => l.decision === 'BLOCK')
        ? 'BLOCK'
        : lines.some((l) => l.decision === 'REVIEW')
          ? 'REVIEW'
          : 'ALLOW'
      for (const l of lines) l.declarationDecision = decision
      if (!again && random() < 0.03) rescreens.push({ declarationId, decidedAt: at, direction })
      batch.push({ id, declarationId, direction, decidedAt, decision, lines })
      written += size
    }
    // Audit events in time order within the batch is not needed: sequence order is the chain's order.
    const events = sealEvents(
      batch.map((s) => ({
        action: 'screening.created' as const,
        actor,
        subject: { screeningId: s.id, declarationId: s.declarationId },
        decision: s.decision,
        registryVersion: '2024.1',
        requestId: randomBytes(6).toString('hex'),
        payload: { synthetic: true, lines: s.lines.length },
      })),
      tail,
      new Date().toISOString(),
    )
    tail = events[events.length - 1]!
    batch.forEach((s, i) => {
      for (const l of s.lines) l.auditSequence = events[i]!.sequence
    })
    await db.transaction(async (tx) => {
      await insertEvents(tx, events)
      await tx.execute(
        insertRowsSql(
          screenings,
          batch.map((s, i) => ({
            id: s.id,
            declarationId: s.declarationId,
            direction: s.direction,
            asOf: s.lines[0]!.decidedDay,
            decision: s.decision,
            registryVersion: '2024.1',
            actorKeyId,
            actor,
            requestId: events[i]!.requestId!,
            requestHash: 'bench',
            organisation: 'bench',
            actorOrganisation: 'bench',
            auditSequence: events[i]!.sequence,
            createdAt: s.decidedAt,
            updatedAt: s.decidedAt,
          })),
        )!,
      )
      await tx.execute(
        insertRowsSql(
          screeningLines,
          batch.flatMap((s) => s.lines),
        )!,
      )
      const reviews = batch.filter((s) => s.decision === 'REVIEW')
      const statement = insertRowsSql(
        reviewCases,
        reviews.map((s) => {
          const resolved = random() < 0.7
          return {
            id: uuidv7(),
            screeningId: s.id,
            declarationId: s.declarationId,
            status: resolved ? 'resolved' : 'open',
            lines: [],
            createdAt: s.decidedAt,
            resolvedAt: resolved ? new Date(s.decidedAt.getTime() + 86_400_000) : null,
            outcome: resolved ? (random() < 0.6 ? 'ALLOW' : 'BLOCK') : null,
            reasonCode: resolved ? 'LAB_REPORT_ABSENT' : null,
            note: resolved ? '实验室报告' : null,
            decidedBy: resolved ? { keyId: null, name: '审核员', role: 'officer' } : null,
            resolutionSequence: null,
          }
        }),
      )
      if (statement) await tx.execute(statement)
    })
    screeningCount += batch.length
    log(`${written.toLocaleString('en-US')} lines`)
  }
  return { lines: written, screenings: screeningCount }
}
