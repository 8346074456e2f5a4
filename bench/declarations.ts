import type { ScreeningRequest } from '../src/core/screening-request.ts'

/** The declarations the benches send and store, so the HTTP and audit benches speak of the same goods. */
const SAMPLE_LINES = [
  { hsCode: '8471.30.00.00', description: 'laptop computers 笔记本电脑' },
  {
    hsCode: '3903.11',
    description: 'expandable polystyrene beads 可发性聚苯乙烯',
    casNumbers: ['9003-53-6'],
  },
  {
    hsCode: '3812.39.00',
    description: 'flame retardant masterbatch 阻燃母粒',
    components: [{ cas: '84852-53-9' }],
  },
  { hsCode: '2903.29', casNumbers: ['127-18-4'], description: 'tetrachloroethylene 四氯乙烯' },
  { hsCode: '6109.10.00.00', description: 'cotton T-shirts 棉制T恤' },
]

/** A declaration of `lines` lines cycling through the samples; its first line is ordinary goods (ALLOW). */
export function declaration(lines: number): ScreeningRequest {
  return {
    declaration: {
      id: `BENCH-${lines}`,
      direction: 'import',
      declarant: '南宁某进出口有限公司',
      tradeCountry: 'DE',
    },
    lines: Array.from({ length: lines }, (_, i) => ({
      lineNo: i + 1,
      ...SAMPLE_LINES[i % SAMPLE_LINES.length]!,
    })),
  }
}
