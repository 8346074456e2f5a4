import { z } from 'zod'
import { isoDateInRange, isoDateTimeInRange } from '../../core/date-range.ts'
import { PROBLEM_CODE_NAMES, PROBLEM_CODES, type ProblemCode } from '../../services/problem-codes.ts'

/** Every problem code, with what it means and what to do; each response narrows it to its own. */
export const ProblemCodeSchema = z.enum(PROBLEM_CODE_NAMES as [ProblemCode, ...ProblemCode[]]).meta({
  id: 'ProblemCode',
  description: `Stable machine-readable code of a problem. Each error response of each operation lists the codes it can carry; clients must still treat an unknown code by its HTTP status (codes may be added).\n\n${PROBLEM_CODE_NAMES.map(
    (c) =>
      `- \`${c}\` (${PROBLEM_CODES[c].status}) — ${PROBLEM_CODES[c].meaning}. ${PROBLEM_CODES[c].handling}`,
  ).join('\n')}`,
})

export const Problem = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    code: ProblemCodeSchema,
    requestId: z.string(),
    errors: z
      .array(
        z.object({
          path: z.string().describe('JSON pointer into the request part named by `in`'),
          code: z.string(),
          message: z.string(),
          in: z.enum(['body', 'querystring', 'params', 'headers']).optional(),
        }),
      )
      .optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' })

export const problemResponses = { '4xx': Problem, '5xx': Problem } as const

export const Bilingual = z.object({ en: z.string(), zh: z.string() }).meta({ id: 'Bilingual' })

export const Actor = z
  .object({ keyId: z.string().nullable(), name: z.string(), role: z.string() })
  .meta({ id: 'Actor' })

export const Page = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('pass as `cursor` for the next page'),
  })

export const Limit = z.coerce.number().int().min(1).max(500).default(50).describe('page size, 1–500')

/**
 * An instant, or a date meaning the start of that day in Asia/Shanghai (contract §11: popscreen's days are
 * China's, as in the reports), so `from=2026-03-01` starts at 2026-02-28T16:00:00Z.
 */
export const DateTimeQuery = isoDateInRange()
  .or(isoDateTimeInRange())
  .transform((s) => new Date(s.length === 10 ? `${s}T00:00:00+08:00` : s))
  .describe(
    'ISO date-time, or an ISO date meaning the start of that day in Asia/Shanghai (UTC+8); years 1900–2100',
  )

/** A business day (`asOf`), compared as a date. */
export const DayQuery = isoDateInRange().describe('ISO date (YYYY-MM-DD), years 1900–2100')

export const Uuid = z.uuid()
