import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type AnswerLine, answerLinesJson } from '../../src/core/answer-json.ts'
import { canonicalJson } from '../../src/core/canonical-json.ts'
import { screenDeclaration } from '../../src/core/screen.ts'
import { prepareDeclaration, ScreeningRequestSchema } from '../../src/core/screening-request.ts'
import { Nomenclature, UNDESCRIBED_HS_JSON } from '../../src/services/nomenclature.ts'
import { seedSnapshot } from '../helpers/registry.ts'

const snapshot = seedSnapshot()
const nomenclature = Nomenclature.load()

/** The answer's lines as the screening service builds them, and the HS fragments it hands the writer. */
function answerLines(request: unknown, asOf: string): { lines: AnswerLine[]; hsTails: string[] } {
  const prepared = prepareDeclaration(ScreeningRequestSchema.parse(request), asOf)
  const hsTails: string[] = []
  const lines = screenDeclaration(prepared, snapshot).lines.map((line, i) => {
    const code = prepared.lines[i]!.hsDigits
    const described = nomenclature.describe(code)
    hsTails.push(described?.json ?? UNDESCRIBED_HS_JSON)
    return {
      ...line,
      hs: { code, subheading: described?.code ?? null, description: described?.description ?? null },
    }
  })
  return { lines, hsTails }
}

describe('answerLinesJson', () => {
  it('writes canonicalJson(lines) for every fixture declaration', () => {
    const fixtures = JSON.parse(readFileSync('test/fixtures/declarations/cases.json', 'utf8')) as {
      request: unknown
    }[]
    for (const { request } of fixtures)
      for (const asOf of ['2023-01-01', '2026-11-28']) {
        const { lines, hsTails } = answerLines(request, asOf)
        expect(answerLinesJson(lines, snapshot.json, hsTails)).toBe(canonicalJson(lines))
      }
  })

  it('writes canonicalJson(lines) for any mix of listed and ordinary goods, codes and texts', () => {
    const line = fc.record({
      hsCode: fc.constantFrom(
        '290811',
        '2909300000',
        '3903110000',
        '3812390000',
        '8471300000',
        '2903290000',
        '9999',
      ),
      casNumbers: fc.subarray(['87-86-5', '1163-19-5', '64-17-5', '85535-85-9', '87-68-3', '25637-99-4']),
      components: fc.array(
        fc.record({
          cas: fc.constantFrom('1163-19-5', '85535-85-9', '87-68-3'),
          massFraction: fc.constantFrom(undefined, 0.00001, 0.0005, 0.3),
        }),
        { maxLength: 2 },
      ),
      description: fc.oneof(
        fc.constantFrom(undefined, '五氯酚钠 "quoted" \\ back', 'Halowax\ttab', 'PCPA'),
        fc.string({ unit: 'grapheme', maxLength: 30 }),
      ),
      purpose: fc.constantFrom('commercial', 'laboratory-research'),
    })
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 1, maxLength: 6 }),
        fc.constantFrom('import', 'export'),
        fc.constantFrom('2023-01-01', '2024-06-01', '2026-11-28'),
        (lines, direction, asOf) => {
          const request = {
            declaration: { id: 'p', direction },
            lines: lines.map((l, i) => ({
              lineNo: i + 1,
              ...l,
              components: l.components.map((c) => (c.massFraction === undefined ? { cas: c.cas } : c)),
              ...(l.description ? {} : { description: undefined }),
            })),
          }
          if (!ScreeningRequestSchema.safeParse(request).success) return
          const answer = answerLines(request, asOf)
          expect(answerLinesJson(answer.lines, snapshot.json, answer.hsTails)).toBe(
            canonicalJson(answer.lines),
          )
        },
      ),
      { numRuns: 500 },
    )
  })

  it('falls back to escaping a substance or legal basis the snapshot did not prepare', () => {
    const { lines, hsTails } = answerLines(
      {
        declaration: { id: 'x', direction: 'import' },
        lines: [{ lineNo: 1, hsCode: '290811', casNumbers: ['87-86-5'] }],
      },
      '2026-11-28',
    )
    expect(lines[0]!.reasons.length).toBeGreaterThan(0)
    const bare = { ...snapshot.json, groupTail: new Map(), legalBasis: new Map() }
    expect(answerLinesJson(lines, bare, hsTails)).toBe(canonicalJson(lines))
  })
})
