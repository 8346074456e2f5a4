import { z } from 'zod'
import { Actor, Bilingual } from './common.ts'

const Outcome = z.enum(['ALLOW', 'REVIEW', 'BLOCK'])

const Matched = z
  .object({
    field: z.enum(['casNumbers', 'components', 'hsCode', 'description']),
    value: z.string(),
    kind: z.string().describe('`cas-exact`, `hs-prefix-N` or `name`'),
  })
  .meta({ id: 'Matched' })

export const Reason = z
  .object({
    code: z.enum([
      'CAS_LISTED',
      'HS_DESIGNATES_SUBSTANCE',
      'EXEMPTION_MAY_APPLY',
      'LAB_SCALE_EXEMPTION',
      'TRACE_REVIEW',
      'CAS_REVIEW_LISTED',
      'HS_MAY_CONTAIN',
      'NAME_MENTIONED',
      'PERMIT_REQUIRED',
      'LISTED_NO_CHINA_MEASURE',
    ]),
    outcome: Outcome,
    substanceId: z.string(),
    substance: Bilingual,
    matched: Matched,
    legalBasis: z.string(),
    message: Bilingual,
  })
  .meta({ id: 'Reason' })

const Advisory = z
  .object({
    code: z.enum([
      'ARTICLE_MAY_CONTAIN',
      'TRACE_BELOW_LIMIT',
      'HS_RESIDUAL_CAS_DECLARED',
      'STRICTER_TODAY',
      'UNREADABLE_CAS',
    ]),
    substanceId: z.string().optional().describe('absent on UNREADABLE_CAS, which names a token, not a group'),
    substance: Bilingual.optional(),
    matched: Matched,
    message: Bilingual,
    today: z
      .object({
        date: z.string(),
        outcome: Outcome,
        reason: z.string(),
        measure: z.object({
          type: z.enum(['ban', 'permit', 'watch']),
          validFrom: z.string(),
          validTo: z.string().nullable(),
          legalBasis: z.string(),
        }),
      })
      .optional()
      .describe(
        'STRICTER_TODAY only: the outcome the line would have today (Asia/Shanghai), its strictest reason and the measure in force today',
      ),
  })
  .meta({ id: 'Advisory' })

const Line = z.object({
  lineNo: z.number().int(),
  decision: Outcome,
  hs: z
    .object({ code: z.string(), subheading: z.string().nullable(), description: z.string().nullable() })
    .describe('the declared code as digits and its HS 2022 text'),
  reasons: z.array(Reason),
  advisories: z.array(Advisory),
  extracted: z
    .object({
      casNumbers: z.array(z.string()),
      components: z.array(z.object({ cas: z.string(), massFraction: z.number() })),
      unreadable: z.array(z.string()).describe('CAS-shaped tokens that are not valid CAS numbers'),
    })
    .optional()
    .describe('DecMessage screenings only: what was read from the line’s GModel and Stuff'),
})

export const AuditCheckpoint = z
  .object({
    sequence: z.number().int().describe('the sequence of the batch’s last event'),
    hash: z.string().describe('the hash of that event'),
    at: z.string().describe('ISO time, as signed'),
    keyId: z.string().describe('the signing key (GET /v1/audit/public-keys)'),
    signature: z
      .string()
      .describe(
        'base64 Ed25519 signature over the UTF-8 bytes of popscreen-checkpoint:v1:<sequence>:<hash>:<at>',
      ),
  })
  .meta({ id: 'AuditCheckpoint' })

const Disposition = z
  .object({
    outcome: z.enum(['ALLOW', 'BLOCK']),
    reasonCode: z.string(),
    note: z.string(),
    decidedBy: Actor,
    decidedAt: z.string(),
  })
  .nullable()
  .describe('the officer’s final decision on a REVIEW screening')

const SupersededBy = z
  .string()
  .nullable()
  .describe('the newest re-screen of this screening (its `screeningId`), null when none')

const screeningFields = {
  screeningId: z.string(),
  declarationId: z.string(),
  decision: Outcome,
  decidedAt: z.string(),
  asOf: z.string(),
  registry: z.object({ version: z.string(), hash: z.string() }),
  lines: z.array(Line),
  rescreenOf: z.string().optional().describe('the screening this one re-screened'),
  audit: z.object({
    sequence: z.number().int(),
    hash: z.string(),
    checkpoint: AuditCheckpoint.nullable().describe(
      'the signed checkpoint of the batch that stored this screening: a receipt verifiable offline with the public key (GET /v1/audit/public-key); null only for screenings stored before checkpoints existed',
    ),
  }),
}

export const ScreeningResponse = z.object(screeningFields).meta({ id: 'ScreeningResponse' })

export const StoredScreening = z
  .object({
    ...screeningFields,
    reviewId: z.string().nullable(),
    disposition: Disposition,
    supersededBy: SupersededBy,
  })
  .meta({ id: 'StoredScreening' })

export const ScreeningSummary = z
  .object({
    screeningId: z.string(),
    declarationId: z.string(),
    decision: Outcome,
    asOf: z.string(),
    registryVersion: z.string(),
    decidedAt: z.string(),
    actor: Actor,
    rescreenOf: z.string().nullable(),
    supersededBy: SupersededBy,
    reviewId: z.string().nullable().describe('its review case, null when it opened none'),
    disposition: Disposition,
    updatedAt: z
      .string()
      .describe('when it was created, its review resolved or it was re-screened, whichever is latest'),
    stricterToday: z.boolean().describe('some line carries STRICTER_TODAY'),
  })
  .meta({ id: 'ScreeningSummary' })

export { Outcome }
