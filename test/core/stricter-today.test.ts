import { describe, expect, it } from 'vitest'
import { screenDeclaration } from '../../src/core/screen.ts'
import { prepareDeclaration, ScreeningRequestSchema } from '../../src/core/screening-request.ts'
import { seedSnapshot } from '../helpers/registry.ts'

const pcp = ScreeningRequestSchema.parse({
  declaration: { id: 'BACK', direction: 'import' },
  lines: [
    { lineNo: 1, hsCode: '2908110000', casNumbers: ['87-86-5'] },
    { lineNo: 2, hsCode: '3907.99', description: 'polyester chips' },
  ],
})
const screen = (asOf: string, today?: string) =>
  screenDeclaration(prepareDeclaration(pcp, asOf), seedSnapshot(), { today })

describe('STRICTER_TODAY', () => {
  it('marks a line that its date makes more lenient than today, naming today’s outcome and measure', () => {
    const result = screen('2001-01-01', '2026-11-28')
    expect(result.decision).toBe('ALLOW')
    const [pcpLine, other] = result.lines
    expect(pcpLine!.decision).toBe('ALLOW')
    expect(pcpLine!.advisories).toEqual([
      expect.objectContaining({
        code: 'STRICTER_TODAY',
        substanceId: 'pcp',
        today: expect.objectContaining({
          date: '2026-11-28',
          outcome: 'BLOCK',
          measure: expect.objectContaining({
            type: 'ban',
            legalBasis: expect.stringContaining('公告2023年第20号'),
          }),
        }),
      }),
    ])
    expect(pcpLine!.advisories[0]!.message.en).toContain('BLOCK')
    expect(pcpLine!.advisories[0]!.message.zh).toContain('禁止')
    expect(other!.advisories).toEqual([])
  })

  it('says nothing when the date changes nothing, is today, or no today is given', () => {
    for (const result of [
      screen('2025-06-01', '2026-11-28'),
      screen('2026-11-28', '2026-11-28'),
      screen('2001-01-01'),
    ])
      for (const line of result.lines)
        expect(line.advisories.map((a) => a.code)).not.toContain('STRICTER_TODAY')
  })
})
