import type { ScreeningRequest } from '../../../core/screening-request.ts'

/**
 * The declarations an officer picks from in Swagger UI. Each name starts with the decision the active
 * registry gives it (test/http/docs-examples.test.ts sends every one and checks), so a name that no
 * longer holds after a registry change fails that test rather than misleading an officer.
 */
export interface ScreeningRequestExample {
  summary: string
  description: string
  value: ScreeningRequest
}

const NANNING_DECLARANT = '91450100MA5K3R2X7T'

export const SCREENING_REQUEST_EXAMPLES: Record<string, ScreeningRequestExample> = {
  'allow-everyday-import': {
    summary: 'ALLOW · 日常进口：聚乙烯粒子和冰醋酸 · everyday import: polyethylene and acetic acid',
    description:
      '两行普通化工原料，CAS 号均不在名录中 → ALLOW。Two ordinary chemical lines whose CAS numbers are not listed.',
    value: {
      declaration: {
        id: '720120261000418523',
        direction: 'import',
        date: '2026-11-27',
        declarant: NANNING_DECLARANT,
        tradeCountry: 'TH',
      },
      lines: [
        {
          lineNo: 1,
          hsCode: '3901.10.00',
          casNumbers: ['9002-88-4'],
          description: '低密度聚乙烯粒子 LDPE 薄膜级',
        },
        {
          lineNo: 2,
          hsCode: '2915.21.11',
          casNumbers: ['64-19-7'],
          description: '冰醋酸 食品级',
        },
      ],
    },
  },
  'block-decabde-import': {
    summary: 'BLOCK · 进口十溴二苯醚阻燃剂 · decaBDE flame retardant import',
    description:
      '十溴二苯醚（CAS 1163-19-5）自 2023-06-06 起禁止进出口，豁免用途已于 2023-12-31 截止 → BLOCK。decaBDE is banned; its exempt uses closed on 2023-12-31.',
    value: {
      declaration: {
        id: '720120261000420077',
        direction: 'import',
        date: '2026-11-28',
        declarant: NANNING_DECLARANT,
        tradeCountry: 'VN',
      },
      lines: [
        {
          lineNo: 1,
          hsCode: '2909.30.00',
          casNumbers: ['1163-19-5'],
          description: '十溴二苯醚 阻燃剂 25kg/袋',
        },
      ],
    },
  },
  'review-decabde-import-in-2023-exemption-window': {
    summary: 'REVIEW · 2023 年豁免期内进口十溴二苯醚 · decaBDE import dated inside the 2023 exemption window',
    description:
      '申报日期 2023-09-15 时，十溴二苯醚的特定豁免用途（纺织品、家电塑料外壳、建筑保温泡沫）尚未截止 → REVIEW，需核实用途。On 2023-09-15 exempt uses of decaBDE were still open: the officer checks the use.',
    value: {
      declaration: {
        id: '720120231000187342',
        direction: 'import',
        date: '2023-09-15',
        declarant: NANNING_DECLARANT,
        tradeCountry: 'VN',
      },
      lines: [
        {
          lineNo: 1,
          hsCode: '2909.30.00',
          casNumbers: ['1163-19-5'],
          description: '十溴二苯醚 用于纺织品阻燃整理',
        },
      ],
    },
  },
  'allow-sccp-trace-in-lubricant-additive': {
    summary: 'ALLOW · 混合物中含微量短链氯化石蜡 · SCCP trace in a mixture',
    description:
      '润滑油添加剂中短链氯化石蜡质量分数 0.3%，低于 1% 的痕量限值：不影响结论，只给出 TRACE_BELOW_LIMIT 提示 → ALLOW。A 0.3 % SCCP component is below the 1 % trace limit: an advisory, not a reason.',
    value: {
      declaration: {
        id: '720120261000421190',
        direction: 'import',
        date: '2026-11-28',
        declarant: NANNING_DECLARANT,
        tradeCountry: 'MY',
      },
      lines: [
        {
          lineNo: 1,
          hsCode: '3811.21.00',
          description: '润滑油添加剂 复合剂',
          components: [
            { cas: '68649-42-3', name: '二烷基二硫代磷酸锌', massFraction: 0.12 },
            { cas: '85535-84-8', name: '短链氯化石蜡', massFraction: 0.003 },
          ],
        },
      ],
    },
  },
  'review-hcbd-reference-standard-for-lab': {
    summary: 'REVIEW · 实验室用六氯丁二烯标准品 · HCBD reference standard for a laboratory',
    description:
      '六氯丁二烯（CAS 87-68-3）已禁止进出口，但用途为标准品 → LAB_SCALE_EXEMPTION，REVIEW：核实实验室用途和数量。HCBD is banned; as a reference standard the line goes to review.',
    value: {
      declaration: {
        id: '720120261000421305',
        direction: 'import',
        date: '2026-11-28',
        declarant: '12450000498502155K',
        tradeCountry: 'DE',
      },
      lines: [
        {
          lineNo: 1,
          hsCode: '3822.90.00',
          casNumbers: ['87-68-3'],
          description: '六氯丁二烯标准品 100 µg/mL 于甲醇中，1 mL',
          purpose: 'reference-standard',
        },
      ],
    },
  },
  'block-pcp-export': {
    summary: 'BLOCK · 出口五氯苯酚 · pentachlorophenol export',
    description:
      '五氯苯酚（CAS 87-86-5，HS 2908.11）禁止出口 → BLOCK，CAS 和税号两条理由。PCP export is banned: two reasons, CAS and HS code.',
    value: {
      declaration: {
        id: '720120260000093871',
        direction: 'export',
        date: '2026-11-28',
        declarant: '91450300MA5L2W8Q4N',
        tradeCountry: 'VN',
      },
      lines: [
        {
          lineNo: 1,
          hsCode: '2908.11.00',
          casNumbers: ['87-86-5'],
          description: '五氯苯酚 工业级 木材防腐用',
        },
      ],
    },
  },
  'review-halowax-named-without-cas': {
    summary: 'REVIEW · 品名提到 Halowax，未申报 CAS · Halowax named, no CAS declared',
    description:
      '品名中出现多氯萘的商品名 Halowax，税号是多氯萘归类的兜底税目 2903.99，且未申报 CAS → REVIEW（NAME_MENTIONED、HS_MAY_CONTAIN）。A PCN trade name on a residual HS line without CAS.',
    value: {
      declaration: {
        id: '720120261000421488',
        direction: 'import',
        date: '2026-11-28',
        declarant: NANNING_DECLARANT,
        tradeCountry: 'JP',
      },
      lines: [
        {
          lineNo: 1,
          hsCode: '2903.99.90',
          description: 'Halowax 1014 电容器浸渍蜡',
        },
      ],
    },
  },
  'block-sodium-pentachlorophenate-by-hs-code': {
    summary: 'BLOCK · 税号即五氯酚钠，未申报 CAS · sodium pentachlorophenate by its HS code alone',
    description:
      '10 位税号 2908199023 就是五氯酚钠：即使没有申报 CAS 也 BLOCK（HS_DESIGNATES_SUBSTANCE）。The 10-digit China line designates the substance itself.',
    value: {
      declaration: {
        id: '720120261000421602',
        direction: 'import',
        date: '2026-11-28',
        declarant: NANNING_DECLARANT,
        tradeCountry: 'IN',
      },
      lines: [
        {
          lineNo: 1,
          hsCode: '2908.19.90.23',
          description: '五氯酚钠',
        },
      ],
    },
  },
}

/** The decision an example's name promises: its first word. */
export function promisedDecision(name: string): 'ALLOW' | 'REVIEW' | 'BLOCK' {
  const word = name.split('-')[0]!.toUpperCase()
  if (word !== 'ALLOW' && word !== 'REVIEW' && word !== 'BLOCK')
    throw new Error(`example ${name} names no decision`)
  return word
}
