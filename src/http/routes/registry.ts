import { z } from 'zod'
import { diffRegistries } from '../../core/registry-diff.ts'
import type { RegistryGroup } from '../../core/registry-document.ts'
import { lookupSubstances, measureInForce } from '../../core/substance-lookup.ts'
import { notFound, unavailable, validationFailed } from '../../services/errors.ts'
import type { Services } from '../../services/index.ts'
import { todayInShanghai } from '../../services/screening-service.ts'
import { principalOf } from '../plugins/auth.ts'
import { Actor, Bilingual, DateTimeQuery, problemResponses } from '../schemas/common.ts'
import type { App } from '../types.ts'

const Substance = z
  .looseObject({
    id: z.string(),
    names: Bilingual,
    abbreviations: z.array(z.string()),
    synonyms: z.array(z.string()),
    tradeNames: z.array(z.string()),
    reviewNames: z.array(z.string()),
    listing: z.looseObject({}),
    traceLimit: z.number().nullable(),
    cas: z.array(z.looseObject({ number: z.string(), scope: z.string(), verified: z.boolean() })),
    hsRules: z.array(
      z.looseObject({ prefix: z.string(), kind: z.string(), description: z.string().nullable() }),
    ),
    measures: z.array(z.looseObject({ type: z.string(), legalBasis: z.string() })),
    inForceToday: z
      .looseObject({ type: z.string(), validFrom: z.string(), legalBasis: z.string() })
      .nullable()
      .describe('the strictest import measure in force today (Asia/Shanghai)'),
    matchedHsRules: z.array(z.looseObject({ prefix: z.string(), kind: z.string() })).optional(),
  })
  .meta({ id: 'Substance' })

const VersionSummary = z
  .object({
    version: z.string(),
    hash: z.string(),
    title: Bilingual,
    groups: z.number().int(),
    active: z.boolean(),
    createdAt: z.string(),
    createdBy: Actor,
    activatedAt: z.string().nullable(),
    activatedBy: Actor.nullable(),
  })
  .meta({ id: 'RegistryVersion' })

const CollectionDiff = z.object({
  added: z.array(z.string()),
  removed: z.array(z.string()),
  changed: z.array(z.string()),
})
const VersionParams = z.object({ version: z.string().min(1).max(32) })

// Not imported from schemas/screening.ts: that would register the screening schemas first and reorder
// every component of openapi.json.
const Outcome = z.enum(['ALLOW', 'REVIEW', 'BLOCK'])

const ImpactReport = z.object({
  version: z.string(),
  items: z.array(
    z.object({
      screeningId: z.string(),
      declarationId: z.string(),
      asOf: z.string(),
      registryVersion: z.string().describe('the version the screening was decided on'),
      decision: z.object({ old: Outcome, new: Outcome }),
      lines: z.array(z.object({ lineNo: z.number().int(), old: Outcome, new: Outcome })),
    }),
  ),
  checked: z.number().int().describe('screenings re-decided'),
  changed: z.number().int().describe('of them decided differently'),
})

export async function registryRoutes(app: App, { registry, nomenclature, impact }: Services) {
  const active = () => {
    const snapshot = registry.current()
    if (!snapshot) throw unavailable('no registry version is active')
    return snapshot
  }
  const view = (group: RegistryGroup, matched?: RegistryGroup['hsRules']) => ({
    ...group,
    hsRules: group.hsRules.map((r) => ({
      ...r,
      description: nomenclature.describe(r.prefix)?.description ?? null,
    })),
    inForceToday: measureInForce(group, todayInShanghai(), 'import') ?? null,
    ...(matched ? { matchedHsRules: matched } : {}),
  })

  app.get(
    '/v1/substances',
    {
      config: { roles: ['screener', 'officer', 'auditor', 'admin'] },
      schema: {
        operationId: 'searchSubstances',
        tags: ['registry'],
        summary: 'Look up substance groups in the active registry',
        description:
          '`q` matches Chinese and English names, synonyms and trade names (width, case and spacing insensitive); `cas` accepts any CAS format; `hs` any HS format and returns the rules that apply to that code, and for a heading (`2908`) the lines within it. A `q` with no letter, digit or ideograph (`-`) is 422 `NO_SEARCH_TEXT`.',
        querystring: z.object({
          q: z.string().max(200).optional(),
          cas: z.string().max(40).optional(),
          hs: z.string().max(40).optional(),
        }),
        response: {
          200: z.object({
            registry: z.object({ version: z.string(), hash: z.string() }),
            items: z.array(Substance),
            nextCursor: z.null(),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const snapshot = active()
      const found = lookupSubstances(snapshot, request.query)
      if (!found.ok)
        throw validationFailed(
          found.problems.map((p) => ({
            path: `/${p.field}`,
            code: p.code,
            message: p.message,
            in: 'querystring',
          })),
          'the query has invalid fields',
        )
      return {
        registry: { version: snapshot.version, hash: snapshot.hash },
        items: found.hits.map((h) => view(h.group, h.hsRules)),
        nextCursor: null,
      }
    },
  )

  app.get(
    '/v1/substances/:id',
    {
      config: { roles: ['screener', 'officer', 'auditor', 'admin'] },
      schema: {
        operationId: 'getSubstance',
        tags: ['registry'],
        summary: 'One substance group of the active registry',
        params: z.object({ id: z.string().max(40) }),
        response: { 200: Substance, ...problemResponses },
      },
    },
    async (request) => {
      const group = active().groups.get(request.params.id)
      if (!group) throw notFound(`substance group ${request.params.id}`)
      return view(group)
    },
  )

  app.get(
    '/v1/registry/versions',
    {
      config: { roles: ['officer', 'auditor', 'admin'] },
      schema: {
        operationId: 'listRegistryVersions',
        tags: ['registry'],
        summary: 'Registry versions, newest first',
        response: {
          200: z.object({ items: z.array(VersionSummary), nextCursor: z.null() }),
          ...problemResponses,
        },
      },
    },
    async () => ({ items: await registry.list(), nextCursor: null }),
  )

  app.get(
    '/v1/registry/versions/:version',
    {
      config: { roles: ['officer', 'auditor', 'admin'] },
      schema: {
        operationId: 'getRegistryVersion',
        tags: ['registry'],
        summary: 'One registry version with its full document',
        params: VersionParams,
        response: { 200: VersionSummary.extend({ document: z.looseObject({}) }), ...problemResponses },
      },
    },
    async (request) => registry.get(request.params.version),
  )

  app.post(
    '/v1/registry/versions',
    {
      config: { roles: ['admin'] },
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        operationId: 'importRegistryVersion',
        tags: ['registry'],
        summary: 'Import a new registry version (inactive until activated)',
        description:
          'The body is a registry document (JSON Schema: `registry/registry-document.schema.json`). Every problem is reported in one 422 with JSON pointers: CAS check digits, HS digits, duplicate ids, dates out of order, unknown source keys.',
        body: z.looseObject({}).describe('registry document'),
        response: { 201: VersionSummary, ...problemResponses },
      },
    },
    async (request, reply) => {
      const summary = await registry.import(
        request.body,
        principalOf(request),
        String(request.id),
        request.clientRequestId,
      )
      return reply.code(201).send(summary)
    },
  )

  app.post(
    '/v1/registry/versions/:version/activate',
    {
      config: { roles: ['admin'] },
      schema: {
        operationId: 'activateRegistryVersion',
        tags: ['registry'],
        summary: 'Make a version the active one, without restart',
        description:
          'Screenings already running finish on the snapshot they started with; other instances pick the change up within seconds.',
        params: VersionParams,
        response: { 200: VersionSummary, ...problemResponses },
      },
    },
    async (request) =>
      registry.activate(
        request.params.version,
        principalOf(request),
        String(request.id),
        request.clientRequestId,
      ),
  )

  app.get(
    '/v1/registry/versions/:version/diff',
    {
      config: { roles: ['officer', 'auditor', 'admin'] },
      schema: {
        operationId: 'diffRegistryVersions',
        tags: ['registry'],
        summary: 'What changed between two versions',
        description:
          'Entries are named by keys: groups by id, identifiers `<group>/cas/<number>`, HS rules ' +
          '`<group>/hs/<prefix>/<kind>`, measures `<group>/<type>/<directions joined by +>/<validFrom>..<validTo>` ' +
          '(an open end is empty). A measure whose direction or end date changed is removed and added. ' +
          'Entries of one document that would share a key are numbered `#2`, `#3`, … in document order.',
        params: VersionParams,
        querystring: z.object({
          against: z.string().min(1).max(32).optional().describe('default: the active version'),
        }),
        response: {
          200: z.object({
            from: z.string(),
            to: z.string(),
            groups: CollectionDiff,
            identifiers: CollectionDiff,
            hsRules: CollectionDiff,
            measures: CollectionDiff,
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const against = request.query.against ?? active().version
      const [base, target] = await Promise.all([registry.get(against), registry.get(request.params.version)])
      return diffRegistries(base.document, target.document)
    },
  )

  app.get(
    '/v1/registry/versions/:version/impact',
    {
      config: { roles: ['officer', 'auditor', 'admin'] },
      schema: {
        operationId: 'registryVersionImpact',
        tags: ['registry', 'reviews'],
        summary: 'Past screenings this version would decide differently',
        description:
          'Re-decides every screening in the window with the pure core on version `version` and the screening’s own as-of date; streams `{version, items:[{screeningId, decision:{old,new}, lines:[{lineNo, old, new}]}], checked, changed}`.',
        params: VersionParams,
        querystring: z.object({
          from: DateTimeQuery.optional().describe('screened at or after'),
          to: DateTimeQuery.optional().describe('screened before'),
        }),
        response: { 200: ImpactReport, ...problemResponses },
      },
    },
    async (request, reply) => {
      await registry.snapshotOf(request.params.version)
      app.longReads.hold(reply)
      // Re-deciding many large screenings may write nothing for longer than the idle-socket timeout (30 s).
      request.raw.socket?.setTimeout?.(0)
      reply.type('application/json; charset=utf-8')
      return reply.send(impact.stream(request.params.version, request.query.from, request.query.to) as never)
    },
  )
}
