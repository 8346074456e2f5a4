import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { screenDeclaration } from '../../src/core/screen.ts'
import {
  prepareDeclaration,
  type ScreeningRequest,
  ScreeningRequestSchema,
} from '../../src/core/screening-request.ts'
import { buildSnapshot } from '../../src/core/snapshot.ts'
import { OUTCOME_RANK } from '../../src/core/types.ts'
import { seedDocument, seedSnapshot } from '../helpers/registry.ts'

type LineInput = ScreeningRequest['lines'][number]
const snapshot = seedSnapshot()

function screen(line: Partial<LineInput>, asOf = '2026-11-28', direction: 'import' | 'export' = 'import') {
  const request = ScreeningRequestSchema.parse({
    declaration: { id: 't', direction },
    lines: [{ lineNo: 1, hsCode: '9999', ...line, ...(line.hsCode ? {} : { hsCode: '8471300000' }) }],
  })
  return screenDeclaration(prepareDeclaration(request, asOf), snapshot).lines[0]!
}
const codes = (line: ReturnType<typeof screen>) =>
  line.reasons.map((r) => `${r.code}:${r.substanceId}`).sort()
const advisories = (line: ReturnType<typeof screen>) =>
  line.advisories.map((a) => `${a.code}:${a.substanceId}`).sort()

describe('decision rules (contract §4)', () => {
  it('CAS_LISTED blocks a banned CAS in casNumbers, any CAS format', () => {
    for (const cas of ['87-86-5', '87865', '0000087-86-5']) {
      const line = screen({ casNumbers: [cas] })
      expect(line.decision).toBe('BLOCK')
      expect(line.reasons[0]).toMatchObject({
        code: 'CAS_LISTED',
        outcome: 'BLOCK',
        substanceId: 'pcp',
        matched: { field: 'casNumbers', value: '87-86-5', kind: 'cas-exact' },
      })
      expect(line.reasons[0]!.legalBasis).toContain('公告2023年第20号')
      expect(line.reasons[0]!.message.zh).toContain('禁止进口')
    }
  })

  it.each([
    ['290811', 'pcp', 'hs-prefix-6'],
    ['2908.11.00.00', 'pcp', 'hs-prefix-6'],
    ['3824890000', 'sccp', 'hs-prefix-6'],
    ['2908199023', 'pcp', 'hs-prefix-10'],
  ])('HS_DESIGNATES_SUBSTANCE blocks %s', (hsCode, id, kind) => {
    const line = screen({ hsCode })
    expect(line.decision).toBe('BLOCK')
    expect(line.reasons).toContainEqual(
      expect.objectContaining({
        code: 'HS_DESIGNATES_SUBSTANCE',
        substanceId: id,
        matched: expect.objectContaining({ kind }),
      }),
    )
  })

  it('2908199000 is only residual for PCP: REVIEW, not BLOCK', () => {
    const line = screen({ hsCode: '2908199000' })
    expect(line.decision).toBe('REVIEW')
    expect(codes(line)).toEqual(['HS_MAY_CONTAIN:pcp'])
  })

  describe('exemption windows of decaBDE and SCCPs', () => {
    it.each([
      ['2023-06-05', 'ALLOW', []],
      ['2023-06-06', 'REVIEW', ['EXEMPTION_MAY_APPLY:decabde']],
      ['2023-12-31', 'REVIEW', ['EXEMPTION_MAY_APPLY:decabde']],
      ['2024-01-01', 'BLOCK', ['CAS_LISTED:decabde']],
    ])('decaBDE on %s → %s', (asOf, decision, expected) => {
      const line = screen({ casNumbers: ['1163-19-5'] }, asOf)
      expect(line.decision).toBe(decision)
      expect(codes(line)).toEqual(expected)
    })

    it.each([
      ['2023-06-05', 'REVIEW', ['PERMIT_REQUIRED:sccp']],
      ['2023-06-06', 'REVIEW', ['EXEMPTION_MAY_APPLY:sccp']],
      ['2023-12-31', 'REVIEW', ['EXEMPTION_MAY_APPLY:sccp']],
      ['2024-01-01', 'BLOCK', ['CAS_LISTED:sccp']],
    ])('SCCP on %s → %s', (asOf, decision, expected) => {
      const line = screen({ casNumbers: ['85535-84-8'] }, asOf)
      expect(line.decision).toBe(decision)
      expect(codes(line)).toEqual(expected)
    })

    it.each([
      ['2023-06-05', 'ALLOW'],
      ['2023-06-06', 'BLOCK'],
    ])('HCBD (no exemption) on %s → %s', (asOf, decision) => {
      expect(screen({ casNumbers: ['87-68-3'] }, asOf).decision).toBe(decision)
    })
  })

  it.each(['laboratory-research', 'reference-standard'] as const)(
    'LAB_SCALE_EXEMPTION for purpose %s',
    (purpose) => {
      const line = screen({ casNumbers: ['87-68-3'], hsCode: '290329', purpose })
      expect(line.decision).toBe('REVIEW')
      expect(codes(line)).toEqual(['LAB_SCALE_EXEMPTION:hcbd'])
    },
  )

  describe('components and trace limits', () => {
    const component = (cas: string, massFraction?: number) =>
      screen({ components: [{ cas, ...(massFraction === undefined ? {} : { massFraction }) }] })

    it.each([
      ['1163-19-5', 0.00001, 'BLOCK'],
      ['1163-19-5', 0.0000099, 'ALLOW'],
      ['87-86-5', 0.000005, 'BLOCK'],
      ['87-86-5', 0.0000049, 'ALLOW'],
      ['85535-84-8', 0.01, 'BLOCK'],
      ['85535-84-8', 0.0099, 'ALLOW'],
    ])('%s at %f → %s (trace limit)', (cas, fraction, decision) => {
      const line = component(cas, fraction)
      expect(line.decision).toBe(decision)
      if (decision === 'ALLOW') expect(line.advisories.map((a) => a.code)).toEqual(['TRACE_BELOW_LIMIT'])
      else expect(line.reasons.map((r) => r.code)).toEqual(['CAS_LISTED'])
    })

    it.each([
      ['87-68-3', 0.001, 'BLOCK', 'CAS_LISTED'],
      ['87-68-3', 0.00099, 'REVIEW', 'TRACE_REVIEW'],
      ['2234-13-1', 0.0005, 'REVIEW', 'TRACE_REVIEW'],
    ])('%s at %f without a numeric limit → %s', (cas, fraction, decision, code) => {
      const line = component(cas, fraction)
      expect(line.decision).toBe(decision)
      expect(line.reasons.map((r) => r.code)).toEqual([code])
    })

    it('a component without massFraction is intentionally added', () => {
      expect(codes(component('85535-84-8'))).toEqual(['CAS_LISTED:sccp'])
    })
  })

  it.each([
    ['85535-85-9', 'sccp'],
    ['90-13-1', 'pcn'],
    ['63449-39-8', 'sccp'],
  ])('CAS_REVIEW_LISTED for review-only %s', (cas, id) => {
    const line = screen({ casNumbers: [cas] })
    expect(line.decision).toBe('REVIEW')
    expect(codes(line)).toContain(`CAS_REVIEW_LISTED:${id}`)
  })

  describe('residual lines', () => {
    it.each([
      ['290930', ['decabde', 'pcp']],
      ['290329', ['hcbd']],
      ['290399', ['pcn']],
    ])('HS_MAY_CONTAIN for %s without CAS', (hsCode, ids) => {
      const line = screen({ hsCode })
      expect(line.decision).toBe('REVIEW')
      for (const id of ids) expect(codes(line)).toContain(`HS_MAY_CONTAIN:${id}`)
    })

    it('a residual line with an unlisted CAS is ALLOW with HS_RESIDUAL_CAS_DECLARED', () => {
      const line = screen({ hsCode: '2903.29.00', casNumbers: ['79-01-6'] })
      expect(line.decision).toBe('ALLOW')
      expect(advisories(line)).toContain('HS_RESIDUAL_CAS_DECLARED:hcbd')
    })

    it('a residual line with a listed CAS is decided by the CAS', () => {
      expect(codes(screen({ hsCode: '290329', casNumbers: ['87-68-3'] }))).toEqual(['CAS_LISTED:hcbd'])
    })
  })

  describe('NAME_MENTIONED', () => {
    it.each([
      ['十溴二苯醚阻燃剂', 'decabde'],
      ['Deca-BDE flame retardant', 'decabde'],
      ['ＤＥＣＡ－ＢＤＥ', 'decabde'],
      ['氯化石蜡-52 增塑剂', 'sccp'],
      ['Halowax 1014', 'pcn'],
      ['五氯酚钠 98%', 'pcp'],
      ['tech grade PCP', 'pcp'],
      ['HCBD solvent', 'hcbd'],
    ])('%s names %s', (description, id) => {
      const line = screen({ description })
      expect(line.decision).toBe('REVIEW')
      expect(codes(line)).toEqual([`NAME_MENTIONED:${id}`])
    })

    it.each(['PCPA herbicide', 'HCBDX', 'pentane', 'MCCP-52 grade'])(
      '%s names nothing banned',
      (description) => {
        const line = screen({ description })
        expect(line.reasons.filter((r) => r.substanceId === 'pcp' || r.substanceId === 'hcbd')).toEqual([])
      },
    )
  })

  it('ARTICLE_MAY_CONTAIN is advice only', () => {
    const line = screen({ hsCode: '8544.42.11' })
    expect(line.decision).toBe('ALLOW')
    expect(advisories(line)).toEqual(
      expect.arrayContaining(['ARTICLE_MAY_CONTAIN:decabde', 'ARTICLE_MAY_CONTAIN:sccp']),
    )
  })

  it('LISTED_NO_CHINA_MEASURE for a Stockholm POP without a China measure', () => {
    expect(codes(screen({ casNumbers: ['309-00-2'] }))).toEqual(['LISTED_NO_CHINA_MEASURE:aldrin'])
  })

  it('PERMIT_REQUIRED for PFOA after the 2023 toxic-chemicals list', () => {
    expect(codes(screen({ casNumbers: ['335-67-1'] }, '2024-05-01'))).toEqual(['PERMIT_REQUIRED:pfoa'])
  })

  it('export is screened like import', () => {
    expect(screen({ casNumbers: ['87-68-3'] }, '2026-01-01', 'export').decision).toBe('BLOCK')
  })

  it('names each substance once per code and matched value, however often the line repeats it', () => {
    const line = screen({
      casNumbers: ['87-86-5', '87865', '0000087-86-5'],
      components: [{ cas: '87-86-5' }, { cas: '87865' }],
      description: 'PCP 五氯酚 PCP',
    })
    expect(line.reasons.map((r) => `${r.code}:${r.matched.field}:${r.matched.value}`).sort()).toEqual([
      'CAS_LISTED:casNumbers:87-86-5',
      'CAS_LISTED:components:87-86-5',
      'NAME_MENTIONED:description:PCP',
    ])
  })
})

describe('properties', () => {
  const line = fc.record({
    hsCode: fc.constantFrom('290811', '2909300000', '8544421100', '3824999990', '8471300000', '2903290000'),
    casNumbers: fc.subarray(['87-86-5', '1163-19-5', '64-17-5', '85535-85-9', '87-68-3']),
    description: fc.constantFrom(undefined, '五氯酚钠', 'cotton shirts', 'Halowax', 'PCPA'),
    purpose: fc.constantFrom('commercial', 'laboratory-research'),
  })
  const declaration = fc.array(line, { minLength: 1, maxLength: 8 }).map((lines) =>
    ScreeningRequestSchema.parse({
      declaration: { id: 'p', direction: 'import' },
      lines: lines.map((l, i) => ({
        lineNo: i + 1,
        ...l,
        ...(l.description ? {} : { description: undefined }),
      })),
    }),
  )
  const asOf = fc.constantFrom('2023-01-01', '2023-07-01', '2024-06-01')

  it('adding a line never lowers the declaration decision', () => {
    fc.assert(
      fc.property(declaration, line, asOf, (request, extra, day) => {
        const before = screenDeclaration(prepareDeclaration(request, day), snapshot).decision
        const grown = { ...request, lines: [...request.lines, { lineNo: 999, ...extra }] }
        const after = screenDeclaration(
          prepareDeclaration(ScreeningRequestSchema.parse(grown), day),
          snapshot,
        ).decision
        expect(OUTCOME_RANK[after]).toBeGreaterThanOrEqual(OUTCOME_RANK[before])
      }),
    )
  })

  it('is deterministic', () => {
    fc.assert(
      fc.property(declaration, asOf, (request, day) => {
        const a = screenDeclaration(prepareDeclaration(request, day), snapshot)
        const b = screenDeclaration(prepareDeclaration(structuredClone(request), day), snapshot)
        expect(b).toEqual(a)
      }),
    )
  })

  it('HS separators never change the result', () => {
    fc.assert(
      fc.property(declaration, asOf, (request, day) => {
        const dotted = {
          ...request,
          lines: request.lines.map((l) => ({ ...l, hsCode: l.hsCode.replace(/^(\d{4})(\d{2})/, '$1.$2.') })),
        }
        const plain = screenDeclaration(prepareDeclaration(request, day), snapshot)
        const withDots = screenDeclaration(prepareDeclaration(dotted, day), snapshot)
        expect(withDots.lines.map((l) => [l.decision, l.reasons.map((r) => r.code)])).toEqual(
          plain.lines.map((l) => [l.decision, l.reasons.map((r) => r.code)]),
        )
      }),
    )
  })
})

describe('registry HS prefixes written with separators', () => {
  it('a stored version whose prefix reads 2908.11 indexes the digits 290811, nothing else', () => {
    const doc = seedDocument()
    const pcp = doc.groups.find((g) => g.id === 'pcp')!
    const rule = pcp.hsRules.find((r) => r.prefix === '290811')!
    rule.prefix = '2908.11'
    const dotted = buildSnapshot(doc, 'sha256:dotted')
    const decide = (hsCode: string) =>
      screenDeclaration(
        prepareDeclaration(
          ScreeningRequestSchema.parse({
            declaration: { id: 't', direction: 'import' },
            lines: [{ lineNo: 1, hsCode }],
          }),
          '2026-11-28',
        ),
        dotted,
      ).lines[0]!
    const pcpBlock = decide('2908.11.00')
    expect(pcpBlock.decision).toBe('BLOCK')
    expect(pcpBlock.reasons).toContainEqual(
      expect.objectContaining({ code: 'HS_DESIGNATES_SUBSTANCE', substanceId: 'pcp' }),
    )
    const wood = decide('4403.12.81.10')
    expect(wood.reasons.filter((r) => r.substanceId === 'pcp' && r.outcome === 'BLOCK')).toEqual([])
  })
})

describe("a heading that contains a group's lines", () => {
  it.each([
    ['2908', 'pcp', '2908'],
    ['3824', 'sccp', '3824'],
    ['2909', 'decabde', '2909'],
  ])('%s declared alone is HS_MAY_CONTAIN (REVIEW) for %s', (hsCode, id, line) => {
    const result = screen({ hsCode })
    expect(result.decision).toBe('REVIEW')
    const reason = result.reasons.find((r) => r.substanceId === id)
    expect(reason).toMatchObject({
      code: 'HS_MAY_CONTAIN',
      outcome: 'REVIEW',
      matched: { field: 'hsCode', kind: `hs-prefix-${reason?.matched.value.length}` },
    })
    expect(reason!.message.en).toMatch(new RegExp(`includes line ${line}\\d+`))
  })
  it('with an unlisted CAS declared it is the residual advisory, as for a residual line', () => {
    const result = screen({ hsCode: '2908', casNumbers: ['108-95-2'] })
    expect(result.decision).toBe('ALLOW')
    expect(advisories(result)).toContain('HS_RESIDUAL_CAS_DECLARED:pcp')
  })
  it('with a listed CAS the CAS decides', () => {
    expect(screen({ hsCode: '2908', casNumbers: ['87-86-5'] }).decision).toBe('BLOCK')
  })
  it('a full code under a designating line still blocks, once', () => {
    const result = screen({ hsCode: '2908110000' })
    expect(codes(result)).toEqual(['HS_DESIGNATES_SUBSTANCE:pcp'])
  })
})

describe('TRACE_REVIEW is for banned groups only (contract §4)', () => {
  it.each([
    ['76-44-8', 'heptachlor', 'LISTED_NO_CHINA_MEASURE'],
    ['335-67-1', 'pfoa', 'PERMIT_REQUIRED'],
  ])('a component %s (%s) at 0.0005 is %s, not TRACE_REVIEW', (cas, id, code) => {
    const line = screen({ components: [{ cas, massFraction: 0.0005 }] })
    expect(codes(line)).toEqual([`${code}:${id}`])
  })
  it('a banned group without a numeric limit still gives TRACE_REVIEW', () => {
    expect(codes(screen({ components: [{ cas: '87-68-3', massFraction: 0.0005 }] }))).toEqual([
      'TRACE_REVIEW:hcbd',
    ])
  })
})
