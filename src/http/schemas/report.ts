import { z } from 'zod'

const Tally = z.object({ ALLOW: z.number().int(), REVIEW: z.number().int(), BLOCK: z.number().int() })

const figureFields = {
  declarations: z
    .number()
    .int()
    .describe('declarations with a line in this cell, each by its latest screening in the period'),
  lines: z.number().int(),
  kilograms: z.number().describe('sum of quantities declared in `kg` or customs unit `035`'),
  linesWithoutQuantity: z.number().int(),
  otherQuantities: z
    .array(z.object({ unit: z.string(), quantity: z.number(), lines: z.number().int() }))
    .describe('quantities in any other unit, per unit as declared, never converted'),
  declaredValue: z.array(z.object({ currency: z.string(), amount: z.number() })),
  initialDecision: Tally.describe('the lines’ decisions when screened'),
  finalDisposition: Tally.describe(
    'after review: resolved REVIEW lines under the officer’s outcome; REVIEW = still open',
  ),
}

const Direction = z.enum(['import', 'export'])

const DirectionFigures = z
  .object({
    direction: Direction,
    ...figureFields,
    byMonth: z.array(z.object({ month: z.string().nullable(), ...figureFields })),
    byHsCode: z.array(
      z.object({ hsCode: z.string(), hsDescription: z.string().nullable(), ...figureFields }),
    ),
    byTradeCountry: z.array(z.object({ tradeCountry: z.string().nullable(), ...figureFields })),
    byCustomsOffice: z.array(z.object({ customsOffice: z.string().nullable(), ...figureFields })),
  })
  .meta({ id: 'PopsTradeDirection' })

export const PopsTradeReport = z
  .object({
    period: z.object({ from: z.string(), to: z.string(), timeZone: z.literal('Asia/Shanghai') }),
    direction: Direction.nullable(),
    generatedAt: z.string(),
    registryVersion: z
      .string()
      .nullable()
      .describe('the registry version whose group names label the report'),
    totals: z
      .object({ ...figureFields, directions: z.array(DirectionFigures) })
      .describe('every line that met at least one group, counted once'),
    groups: z.array(
      z.object({
        id: z.string(),
        name: z.object({ zh: z.string(), en: z.string() }),
        ...figureFields,
        directions: z.array(DirectionFigures),
      }),
    ),
  })
  .meta({ id: 'PopsTradeReport' })
