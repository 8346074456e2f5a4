import { z } from 'zod'
import { parseCas } from './cas.ts'
import { isoDateInRange } from './date-range.ts'
import { parseHsPrefix } from './hs.ts'

/** The registry document: everything popscreen knows about banned substances, as versioned data. */

const isoDate = isoDateInRange()
const sourceKeys = z.array(z.string().min(1)).min(1).describe('keys into the document `sources` map')
const Direction = z.enum(['import', 'export'])
const Bilingual = z.strictObject({ zh: z.string().min(1), en: z.string().min(1) })

const CasIdentifier = z.strictObject({
  number: z.string().min(1).describe('CAS Registry Number, hyphenated'),
  name: z.string().min(1),
  role: z.enum(['parent', 'salt', 'ester', 'congener', 'mixture', 'transformation-product', 'related']),
  scope: z
    .enum(['ban', 'review'])
    .describe('`review`: related to the group but outside the ban (CAS_REVIEW_LISTED)'),
  verified: z.boolean().describe('false when no source tied the number to the substance'),
  sources: sourceKeys,
})

const HsRule = z.strictObject({
  prefix: z.string().describe('plain digits, 2 to 10 (HS chapter, heading, subheading or national line)'),
  kind: z.enum(['designates', 'residual', 'article']),
  nomenclature: z.enum(['HS2022', 'CN']).describe('CN: a China national 8/10-digit line'),
  confidence: z.enum(['sourced', 'inference', 'unverified']),
  note: z.string(),
  sources: sourceKeys,
})

const Exemption = z.strictObject({
  use: Bilingual,
  from: isoDate,
  until: isoDate,
  sources: sourceKeys,
})

const Measure = z.strictObject({
  type: z.enum(['ban', 'permit', 'watch']),
  directions: z.array(Direction).min(1),
  validFrom: isoDate,
  validTo: isoDate.nullable().describe('last day in force; null while in force'),
  exemptions: z.array(Exemption).default([]),
  legalBasis: z.string().min(1),
  note: z.string().optional(),
  sources: sourceKeys,
})

const Group = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_]{1,39}$/, 'lower-case letters, digits and _'),
  names: Bilingual,
  abbreviations: z.array(z.string().min(1)).default([]),
  synonyms: z.array(z.string().min(1)).default([]),
  tradeNames: z.array(z.string().min(1)).default([]),
  reviewNames: z
    .array(z.string().min(1))
    .default([])
    .describe('names related to the group but outside the ban (generic or other chain lengths)'),
  listing: z.strictObject({
    convention: z.literal('Stockholm'),
    annex: z.string().min(1),
    cop: z.string().min(1),
    year: z.number().int().min(2001).max(2100),
    decision: z.string().nullable(),
    decisionConfirmed: z.boolean(),
    exemptions: z
      .array(z.string().min(1))
      .optional()
      .describe('the specific exemptions and acceptable purposes of the Stockholm listing, with their marks'),
    sources: sourceKeys.optional(),
  }),
  traceLimit: z
    .number()
    .gt(0)
    .lte(1)
    .nullable()
    .describe('mass fraction below which a component is an unintentional trace; null: no numeric limit'),
  traceLimitNote: z.string().optional(),
  cas: z.array(CasIdentifier),
  hsRules: z.array(HsRule),
  measures: z.array(Measure).min(1),
  notes: z.string().optional(),
  nameSources: z
    .array(z.strictObject({ names: z.array(z.string().min(1)).min(1), sources: sourceKeys }))
    .optional()
    .describe('where each name comes from: every name listed here must be one of the group’s names'),
  contextNames: z
    .array(
      z.strictObject({
        names: z.array(z.string().min(1)).min(1),
        otherMeaning: z.string().min(1).describe('the everyday sense that makes the name ambiguous in trade'),
        context: z
          .array(z.string().min(1))
          .min(1)
          .describe('words that, in the same description, make the name a chemical mention'),
        sources: sourceKeys,
      }),
    )
    .optional()
    .describe('ambiguous abbreviations (PCB: printed circuit board) that count only beside a context word'),
  sources: sourceKeys,
})

export const RegistryDocumentSchema = z
  .strictObject({
    schemaVersion: z.literal(1),
    version: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$/, 'letters, digits, . _ -'),
    title: Bilingual,
    nomenclature: z.literal('HS2022'),
    tariffYear: z.number().int().min(2000).max(2100).nullable(),
    sources: z.record(z.string(), z.strictObject({ title: z.string().min(1), url: z.string().optional() })),
    groups: z.array(Group).min(1),
  })
  .superRefine((doc, ctx) => {
    const seenGroups = new Map<string, number>()
    doc.groups.forEach((group, g) => {
      const at = (...path: (string | number)[]) => ['groups', g, ...path]
      const refs = (keys: string[], ...path: (string | number)[]) =>
        keys.forEach((key, k) => {
          if (!(key in doc.sources))
            ctx.addIssue({
              code: 'custom',
              path: at(...path, k),
              message: `unknown source key ${key}`,
              params: { code: 'UNKNOWN_REFERENCE' },
            })
        })
      const previous = seenGroups.get(group.id)
      if (previous !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: at('id'),
          message: `duplicate group id ${group.id} (also /groups/${previous})`,
          params: { code: 'DUPLICATE_ID' },
        })
      seenGroups.set(group.id, g)
      refs(group.sources, 'sources')
      if (group.listing.sources) refs(group.listing.sources, 'listing', 'sources')
      const names = new Set([
        group.names.zh,
        group.names.en,
        ...group.abbreviations,
        ...group.synonyms,
        ...group.tradeNames,
        ...group.reviewNames,
      ])
      group.nameSources?.forEach((entry, n) => {
        entry.names.forEach((name, k) => {
          if (!names.has(name))
            ctx.addIssue({
              code: 'custom',
              path: at('nameSources', n, 'names', k),
              message: `${name} is not a name of group ${group.id}`,
              params: { code: 'UNKNOWN_REFERENCE' },
            })
        })
        refs(entry.sources, 'nameSources', n, 'sources')
      })
      group.contextNames?.forEach((entry, n) => {
        refs(entry.sources, 'contextNames', n, 'sources')
      })
      const seenCas = new Set<string>()
      group.cas.forEach((cas, c) => {
        const parsed = parseCas(cas.number)
        if (!parsed.ok)
          ctx.addIssue({
            code: 'custom',
            path: at('cas', c, 'number'),
            message: parsed.message,
            params: { code: parsed.code },
          })
        else if (seenCas.has(parsed.cas))
          ctx.addIssue({
            code: 'custom',
            path: at('cas', c, 'number'),
            message: `duplicate CAS ${parsed.cas} in group ${group.id}`,
            params: { code: 'DUPLICATE_ID' },
          })
        else seenCas.add(parsed.cas)
        refs(cas.sources, 'cas', c, 'sources')
      })
      group.hsRules.forEach((rule, r) => {
        const parsed = parseHsPrefix(rule.prefix)
        if (!parsed.ok)
          ctx.addIssue({
            code: 'custom',
            path: at('hsRules', r, 'prefix'),
            message: parsed.message,
            params: { code: parsed.code },
          })
        // The stored prefix is what the index and the diff key on: `2908.11` must not stand for other digits.
        else if (parsed.digits !== rule.prefix)
          ctx.addIssue({
            code: 'custom',
            path: at('hsRules', r, 'prefix'),
            message: `HS prefix must be plain digits: write ${parsed.digits}, not ${rule.prefix}`,
            params: { code: 'HS_FORMAT' },
          })
        refs(rule.sources, 'hsRules', r, 'sources')
      })
      group.measures.forEach((measure, m) => {
        if (measure.validTo !== null && measure.validTo < measure.validFrom)
          ctx.addIssue({
            code: 'custom',
            path: at('measures', m, 'validTo'),
            message: `validTo ${measure.validTo} is before validFrom ${measure.validFrom}`,
            params: { code: 'DATES_OUT_OF_ORDER' },
          })
        refs(measure.sources, 'measures', m, 'sources')
        measure.exemptions.forEach((ex, e) => {
          if (ex.until < ex.from)
            ctx.addIssue({
              code: 'custom',
              path: at('measures', m, 'exemptions', e, 'until'),
              message: `until ${ex.until} is before from ${ex.from}`,
              params: { code: 'DATES_OUT_OF_ORDER' },
            })
          refs(ex.sources, 'measures', m, 'exemptions', e, 'sources')
        })
      })
    })
  })

export type RegistryDocument = z.infer<typeof RegistryDocumentSchema>
export type RegistryGroup = RegistryDocument['groups'][number]
export type RegistryMeasure = RegistryGroup['measures'][number]
export type RegistryCas = RegistryGroup['cas'][number]
export type RegistryHsRule = RegistryGroup['hsRules'][number]
export type Outcome = 'ALLOW' | 'REVIEW' | 'BLOCK'
export type Direction = z.infer<typeof Direction>
