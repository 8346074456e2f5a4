import type { RegistryGroup, RegistryMeasure } from './registry-document.ts'
import type {
  AdvisoryCode,
  Bilingual,
  Direction,
  Matched,
  Outcome,
  ReasonCode,
  StricterToday,
} from './types.ts'

/** What the officer reads: one sentence per reason, in Chinese and English, naming what matched. */
export interface MessageContext {
  group: RegistryGroup
  measure: RegistryMeasure
  matched: Matched
  direction: Direction
  asOf: string
  /** Exempt use still open on asOf, for EXEMPTION_MAY_APPLY. */
  exemptUntil?: string | undefined
  traceLimit?: number | null | undefined
  massFraction?: number | undefined
  /** The group's line inside a declared heading (HS_MAY_CONTAIN, HS_RESIDUAL_CAS_DECLARED, ARTICLE_MAY_CONTAIN). */
  containedLine?: string | undefined
}

const DIRECTION_ZH: Record<Direction, string> = { import: '进口', export: '出口' }

function what(m: Matched): Bilingual {
  switch (m.field) {
    case 'casNumbers':
      return { en: `CAS ${m.value}`, zh: `CAS号 ${m.value}` }
    case 'components':
      return { en: `component CAS ${m.value}`, zh: `组分 CAS号 ${m.value}` }
    case 'hsCode':
      return { en: `HS code ${m.value}`, zh: `商品编码 ${m.value}` }
    case 'description':
      return { en: `the description ("${m.value}")`, zh: `货物描述（“${m.value}”）` }
  }
}

export function reasonMessage(code: ReasonCode, c: MessageContext): Bilingual {
  const w = what(c.matched)
  const g = c.group.names
  const dirZh = DIRECTION_ZH[c.direction]
  const since = c.measure.validFrom
  switch (code) {
    case 'CAS_LISTED':
      return {
        en: `${w.en} is ${g.en}; its ${c.direction} is banned in China since ${since}.`,
        zh: `${w.zh}属于${g.zh}，自${since}起禁止${dirZh}。`,
      }
    case 'HS_DESIGNATES_SUBSTANCE':
      return {
        en: `${w.en} designates ${g.en} or mixtures containing it; its ${c.direction} is banned in China since ${since}.`,
        zh: `${w.zh}对应${g.zh}或含该物质的混合物，自${since}起禁止${dirZh}。`,
      }
    case 'EXEMPTION_MAY_APPLY':
      return {
        en: `${w.en} matches ${g.en}, banned since ${since}, but a time-limited exempt use was open until ${c.exemptUntil}: verify the declared use.`,
        zh: `${w.zh}对应${g.zh}（自${since}起禁止），但至${c.exemptUntil}仍有限期豁免用途，请核实申报用途。`,
      }
    case 'LAB_SCALE_EXEMPTION':
      return {
        en: `${w.en} matches ${g.en}, which is banned; laboratory-scale research and reference standards are outside the ban: verify the purpose and quantity.`,
        zh: `${w.zh}对应禁止物质${g.zh}；实验室规模研究和标准品不在禁止范围内，请核实用途和数量。`,
      }
    case 'TRACE_REVIEW':
      return {
        en: `${w.en} (${g.en}) is declared at mass fraction ${c.massFraction}; no numeric trace limit exists, so check whether it is an unintentional trace contaminant.`,
        zh: `${w.zh}（${g.zh}）申报质量分数为${c.massFraction}；该物质无数值痕量限值，请核实是否为非有意添加的痕量污染物。`,
      }
    case 'CAS_REVIEW_LISTED':
      return {
        en: `${w.en} is related to ${g.en} but outside the ban's scope: check the exact substance.`,
        zh: `${w.zh}与${g.zh}相关但不在禁止范围内，请核实具体物质。`,
      }
    case 'HS_MAY_CONTAIN':
      if (c.containedLine)
        return {
          en: `${w.en} includes line ${c.containedLine}, where ${g.en} is classified, and the line declares no CAS number: declare the full code or CAS numbers, or check the goods.`,
          zh: `${w.zh}包含${g.zh}所归入的子目${c.containedLine}，且该行未申报CAS号：请申报完整商品编码或CAS号，或查验货物。`,
        }
      return {
        en: `${w.en} is a residual line where ${g.en} is classified, and the line declares no CAS number: declare CAS numbers or check the goods.`,
        zh: `${w.zh}为可归入${g.zh}的“其他”子目，且该行未申报CAS号：请补充CAS号或查验货物。`,
      }
    case 'NAME_MENTIONED':
      return {
        en: `${w.en} names ${g.en}.`,
        zh: `${w.zh}提及${g.zh}。`,
      }
    case 'PERMIT_REQUIRED':
      return {
        en: `${w.en} matches ${g.en}; on ${c.asOf} its ${c.direction} needed a permit or release notice: verify it.`,
        zh: `${w.zh}对应${g.zh}；${c.asOf}时${dirZh}须取得许可或放行通知单，请核验。`,
      }
    case 'LISTED_NO_CHINA_MEASURE':
      return {
        en: `${w.en} matches ${g.en}, a Stockholm Convention POP for which the registry records no China import/export measure: review.`,
        zh: `${w.zh}对应斯德哥尔摩公约所列${g.zh}，登记表未记录中国进出口管控措施，请人工审核。`,
      }
  }
}

/**
 * Advisories of one line's own matches against a group (STRICTER_TODAY compares two screenings:
 * stricterTodayMessage; UNREADABLE_CAS names a token of a DecMessage: unreadableCasAdvisory).
 */
export type LineAdvisoryCode = Exclude<AdvisoryCode, 'STRICTER_TODAY' | 'UNREADABLE_CAS'>

export function advisoryMessage(code: LineAdvisoryCode, c: Omit<MessageContext, 'measure'>): Bilingual {
  const w = what(c.matched)
  const g = c.group.names
  switch (code) {
    case 'ARTICLE_MAY_CONTAIN':
      if (c.containedLine)
        return {
          en: `${w.en} includes line ${c.containedLine}, an article line where ${g.en} was used; articles may contain it.`,
          zh: `${w.zh}包含曾使用${g.zh}的物品子目${c.containedLine}，物品中可能含有该物质。`,
        }
      return {
        en: `${w.en} is an article heading where ${g.en} was used; articles may contain it.`,
        zh: `${w.zh}属于曾使用${g.zh}的物品类别，物品中可能含有该物质。`,
      }
    case 'TRACE_BELOW_LIMIT':
      return {
        en: `${w.en} (${g.en}) at mass fraction ${c.massFraction} is below the trace limit ${c.traceLimit}: treated as an unintentional trace.`,
        zh: `${w.zh}（${g.zh}）质量分数${c.massFraction}低于痕量限值${c.traceLimit}，视为非有意添加的痕量污染物。`,
      }
    case 'HS_RESIDUAL_CAS_DECLARED':
      if (c.containedLine)
        return {
          en: `${w.en} includes line ${c.containedLine}, where ${g.en} may be classified; none of the declared CAS numbers is listed.`,
          zh: `${w.zh}包含可归入${g.zh}的子目${c.containedLine}；申报的CAS号均未列入登记表。`,
        }
      return {
        en: `${w.en} is a residual line where ${g.en} may be classified; none of the declared CAS numbers is listed.`,
        zh: `${w.zh}为可归入${g.zh}的“其他”子目；申报的CAS号均未列入登记表。`,
      }
  }
}

const OUTCOME_ZH: Record<Outcome, string> = { ALLOW: '放行', REVIEW: '人工审核', BLOCK: '禁止' }
const MEASURE_ZH = { ban: '禁止', permit: '许可管理', watch: '关注' } as const

/** STRICTER_TODAY: the line on its own date against the same line today. */
export function stricterTodayMessage(
  group: RegistryGroup,
  asOf: string,
  asOfOutcome: Outcome,
  today: StricterToday,
): Bilingual {
  const m = today.measure
  return {
    en: `Dated ${asOf}, this line is ${asOfOutcome}; today (${today.date}) it would be ${today.outcome} (${today.reason}, ${group.names.en}: ${m.type} in force since ${m.validFrom} under ${m.legalBasis}). Check why the declaration carries this date.`,
    zh: `按申报日期${asOf}，本行结论为${OUTCOME_ZH[asOfOutcome]}；按今日（${today.date}）规则应为${OUTCOME_ZH[today.outcome]}（${today.reason}，${group.names.zh}：自${m.validFrom}起${MEASURE_ZH[m.type]}，依据${m.legalBasis}）。请核实申报日期。`,
  }
}
