import { z } from 'zod'
import { parseCas } from './cas.ts'
import { isoDateInRange } from './date-range.ts'
import { parseHsCode } from './hs.ts'
import type { PreparedDeclaration } from './types.ts'

// Text PostgreSQL cannot store (NUL, lone surrogates) is refused for every route and field before
// validation, by findUnstorableText (src/core/storable-text.ts); this schema need not repeat it.
const text = (max: number) => z.string().max(max)

/**
 * Identifier lengths: a CAS number is at most 12 characters (7+2+1 digits, two hyphens), so 15 after
 * trimming leaves room for a few leading zeros; an HS code is at most 13 digits, so 20 characters allow
 * separators. Without caps a CAS padded with 1,000 zeros or an HS code with a million spaces was accepted
 * and stored, and verifying a log of such payloads ran the server out of memory.
 */
export const MAX_CAS_LENGTH = 15
export const MAX_HS_LENGTH = 20
/** CAS numbers of a declaration, counted over `casNumbers` and `components` of every line together. */
export const MAX_CAS_PER_DECLARATION = 500

/**
 * The largest answer a declaration may have: 30 times its request's canonical JSON, or 64 KiB for small
 * requests (one line naming ten substances legitimately answers ~40× its size). Reasons are ~700 bytes
 * each, so without a bound a 180 KB request answered 5.4 MB, and every export, verification and impact
 * report then carried it.
 */
export const ANSWER_RATIO = 30
export const ANSWER_FLOOR_BYTES = 65_536
export function maxAnswerLength(requestLength: number): number {
  return Math.max(ANSWER_RATIO * requestLength, ANSWER_FLOOR_BYTES)
}

const casNumber = z.string().superRefine((value, ctx) => {
  if (value.length > MAX_CAS_LENGTH && value.trim().length > MAX_CAS_LENGTH) {
    ctx.addIssue({
      code: 'custom',
      message: `a CAS number has at most ${MAX_CAS_LENGTH} characters after trimming`,
      params: { code: 'TOO_BIG' },
    })
    return
  }
  const parsed = parseCas(value)
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message, params: { code: parsed.code } })
})

const hsCode = z.string().superRefine((value, ctx) => {
  if (value.length > MAX_HS_LENGTH) {
    ctx.addIssue({
      code: 'custom',
      message: `an HS code has at most ${MAX_HS_LENGTH} characters`,
      params: { code: 'TOO_BIG' },
    })
    return
  }
  const parsed = parseHsCode(value)
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message, params: { code: parsed.code } })
})

export const PURPOSES = ['commercial', 'laboratory-research', 'reference-standard'] as const

const Component = z.strictObject({
  cas: casNumber.describe(
    'CAS number of the component; hyphenated, plain or zero-padded; at most 15 characters after trimming',
  ),
  name: text(200).optional(),
  massFraction: z
    .number()
    .gt(0)
    .lte(1)
    .optional()
    .describe('share by mass in (0, 1]; absent = intentionally added'),
})

/**
 * What the declaration says about the line's amount (contract §8): `kg` or a China customs unit code,
 * 3 digits (`035` kilogram, `007` 个, `001` 台, …). Only kilograms are summed as kilograms; other units
 * are reported as declared, never converted.
 */
const Quantity = z
  .strictObject({
    value: z.number().gt(0).max(1e15).describe('the declared amount, > 0'),
    unit: z
      .string()
      .regex(/^(kg|[0-9]{3})$/, '`kg` or a 3-digit China customs unit code (`035` = kg)')
      .describe('`kg` or a 3-digit China customs unit code (`035` = kg)'),
  })
  .meta({ id: 'Quantity' })

const DeclaredValue = z
  .strictObject({
    amount: z.number().gte(0).max(1e15).describe('the declared total value of the line, >= 0'),
    currency: z
      .string()
      .regex(/^([A-Z]{3}|[0-9]{3})$/, 'ISO 4217 letters (`USD`) or a 3-digit numeric code, kept as given')
      .describe('ISO 4217 letters (`USD`); numeric codes (`502`) are kept as given'),
  })
  .meta({ id: 'DeclaredValue' })

const Line = z.strictObject({
  lineNo: z.number().int().positive().max(1_000_000),
  hsCode: hsCode.describe(
    '4, 6, 8, 10 or 13 digits with optional ".", space or "-" separators; at most 20 characters',
  ),
  casNumbers: z.array(casNumber).max(20).optional(),
  description: text(500).optional(),
  purpose: z.enum(PURPOSES).optional().describe('default commercial'),
  components: z.array(Component).max(50).optional(),
  quantity: Quantity.optional(),
  declaredValue: DeclaredValue.optional(),
})

export const ScreeningRequestSchema = z
  .strictObject({
    declaration: z.strictObject({
      id: text(64).min(1).describe('the caller’s reference (报关单号 or any id); echoed back'),
      direction: z.enum(['import', 'export']),
      date: isoDateInRange()
        .optional()
        .describe('the day the decision applies to; default today in Asia/Shanghai'),
      declarant: text(64).optional(),
      tradeCountry: z
        .string()
        .regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2 code, upper case')
        .optional(),
      customsOffice: z
        .string()
        .regex(/^[0-9]{4}$/, '4 digits (关区代码)')
        .optional()
        .describe('关区代码 of the customs office where the declaration was lodged, 4 digits'),
    }),
    lines: z
      .array(Line)
      .min(1)
      .max(100)
      .superRefine(
        (lines, ctx) => {
          const seen = new Map<unknown, number>()
          lines.forEach((line, i) => {
            const lineNo = (line as { lineNo?: unknown } | null)?.lineNo
            if (typeof lineNo !== 'number') return
            const first = seen.get(lineNo)
            if (first !== undefined)
              ctx.addIssue({
                code: 'custom',
                path: [i, 'lineNo'],
                message: `lineNo ${lineNo} repeats /lines/${first}/lineNo`,
                params: { code: 'DUPLICATE_LINE_NO' },
              })
            else seen.set(lineNo, i)
          })
        },
        // Report duplicates together with every other problem, not only once the rest is valid.
        { when: (payload) => Array.isArray(payload.value) },
      )
      .superRefine(
        (lines, ctx) => {
          let total = 0
          for (const line of lines as { casNumbers?: unknown; components?: unknown }[]) {
            if (Array.isArray(line?.casNumbers)) total += line.casNumbers.length
            if (Array.isArray(line?.components)) total += line.components.length
          }
          if (total > MAX_CAS_PER_DECLARATION)
            ctx.addIssue({
              code: 'custom',
              message: `a declaration carries at most ${MAX_CAS_PER_DECLARATION} CAS numbers (casNumbers and components of all lines together); it has ${total}`,
              params: { code: 'TOO_MANY_CAS' },
            })
        },
        { when: (payload) => Array.isArray(payload.value) },
      ),
  })
  .meta({ id: 'ScreeningRequest' })

export type ScreeningRequest = z.infer<typeof ScreeningRequestSchema>

/**
 * The request with its defaults written out (`purpose: commercial`, empty `casNumbers` and `components`):
 * what two requests under one Idempotency-Key are compared as, so sending a default and leaving it out are
 * the same request.
 */
export function withDefaults(request: ScreeningRequest): ScreeningRequest {
  return {
    ...request,
    lines: request.lines.map((line) => ({
      ...line,
      casNumbers: line.casNumbers ?? [],
      purpose: line.purpose ?? 'commercial',
      components: line.components ?? [],
    })),
  }
}

/** Turns a validated request into the normalised form the matcher reads. */
export function prepareDeclaration(request: ScreeningRequest, asOf: string): PreparedDeclaration {
  const cas = (value: string) => {
    const parsed = parseCas(value)
    if (!parsed.ok) throw new Error(`unvalidated CAS reached the core: ${value}`)
    return parsed.cas
  }
  return {
    direction: request.declaration.direction,
    asOf,
    lines: request.lines.map((line) => {
      const hs = parseHsCode(line.hsCode)
      if (!hs.ok) throw new Error(`unvalidated HS code reached the core: ${line.hsCode}`)
      return {
        lineNo: line.lineNo,
        hsDigits: hs.digits,
        casNumbers: (line.casNumbers ?? []).map(cas),
        description: line.description,
        purpose: line.purpose ?? 'commercial',
        components: (line.components ?? []).map((c) => ({
          cas: cas(c.cas),
          name: c.name,
          massFraction: c.massFraction,
        })),
      }
    }),
  }
}

/** Units that are kilograms: `kg` and China customs unit code `035` (千克). */
const KILOGRAM_UNITS = new Set(['kg', '035'])

/** The line's quantity in kilograms when it was declared in kilograms; null for any other unit. */
export function kilogramsOf(quantity: { value: number; unit: string } | undefined): number | null {
  return quantity && KILOGRAM_UNITS.has(quantity.unit) ? quantity.value : null
}
