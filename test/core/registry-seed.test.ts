import { readdirSync, readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { describe, expect, it } from 'vitest'
import { REGISTRY_SCHEMA_PATH, registryDocumentJsonSchema } from '../../scripts/registry-schema.ts'
import { screenDeclaration } from '../../src/core/screen.ts'
import { Nomenclature } from '../../src/services/nomenclature.ts'
import { seedDocument, seedSnapshot } from '../helpers/registry.ts'

/** Rows of the markdown table that follows `heading` in the registry policy, as cells. */
function policyTable(heading: string): string[][] {
  const text = readFileSync('registry/sources/registry-policy.md', 'utf8')
  const section = text.slice(text.indexOf(heading))
  const rows = section.split('\n').filter((l) => l.startsWith('| `'))
  const end = section.indexOf('\n## ', 1)
  return rows
    .filter((r) => end < 0 || section.indexOf(r) < end)
    .map((r) =>
      r
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    )
}
const casIn = (cell: string) => cell.match(/\b\d{2,7}-\d{2}-\d\b/g) ?? []
const hsIn = (cell: string) => (cell.startsWith('—') ? [] : (cell.match(/\b\d{4,10}\b/g) ?? []))
const groupOf = (cell: string) => cell.replaceAll('`', '')

const document = seedDocument()
const byId = new Map(document.groups.map((g) => [g.id, g]))

describe('seeded registry against the policy', () => {
  const identifiers = policyTable('## Identifiers of the five groups')
  it('has the five required groups', () => {
    expect(identifiers.map((r) => groupOf(r[0]!))).toEqual(['decabde', 'sccp', 'hcbd', 'pcn', 'pcp'])
  })

  it.each(identifiers.map((r) => [groupOf(r[0]!), r] as const))(
    '%s carries every CAS of the policy',
    (id, row) => {
      const group = byId.get(id)!
      const scope = new Map(group.cas.map((c) => [c.number, c.scope]))
      for (const cas of casIn(row[1]!)) expect(scope.get(cas), cas).toBe('ban')
      for (const cas of casIn(row[2]!)) expect(scope.get(cas), cas).toBe('review')
    },
  )

  it('marks the unconfirmed numbers verified: false', () => {
    const all = document.groups.flatMap((g) => g.cas)
    for (const cas of ['32241-08-0', '28699-88-9', '7778-73-6'])
      expect(all.find((c) => c.number === cas)?.verified).toBe(false)
    expect(all.find((c) => c.number === '87-68-3')?.verified).toBe(true)
  })

  it.each(policyTable('## HS rules of the five groups').map((r) => [groupOf(r[0]!), r] as const))(
    '%s carries every HS rule of the policy with its kind',
    (id, row) => {
      const rules = new Set(byId.get(id)!.hsRules.map((r) => `${r.kind}:${r.prefix}`))
      for (const prefix of hsIn(row[1]!)) expect(rules, prefix).toContain(`designates:${prefix}`)
      for (const prefix of hsIn(row[2]!)) expect(rules, prefix).toContain(`residual:${prefix}`)
      for (const prefix of hsIn(row[3]!)) expect(rules, prefix).toContain(`article:${prefix}`)
    },
  )

  it.each(policyTable('## China measures for the five groups').map((r) => [groupOf(r[0]!), r] as const))(
    '%s has the ban date, exemption window and trace limit of the policy',
    (id, row) => {
      const group = byId.get(id)!
      const ban = group.measures.find((m) => m.type === 'ban')!
      expect(ban.validFrom).toBe('2023-06-06')
      expect(ban.directions.sort()).toEqual(['export', 'import'])
      const until = /until (\d{4}-\d{2}-\d{2})/.exec(row[2]!)?.[1]
      if (until) expect(ban.exemptions.every((e) => e.until === until && e.from === '2023-06-06')).toBe(true)
      else expect(ban.exemptions).toEqual([])
      const limit = Number(row[3])
      expect(group.traceLimit).toBe(Number.isNaN(limit) ? null : limit)
    },
  )

  it('cites a known source for every entry', () => {
    for (const group of document.groups)
      for (const key of [
        ...group.sources,
        ...group.cas.flatMap((c) => c.sources),
        ...group.measures.flatMap((m) => m.sources),
      ])
        expect(document.sources, `${group.id}: ${key}`).toHaveProperty(key)
  })
})

describe('the whole HS 2022 nomenclature', () => {
  const snapshot = seedSnapshot()
  const subheadings = Nomenclature.load().subheadings()
  const decide = (hs: string) =>
    screenDeclaration(
      {
        direction: 'import',
        asOf: '2026-11-28',
        lines: [
          {
            lineNo: 1,
            hsDigits: hs,
            casNumbers: [],
            description: undefined,
            purpose: 'commercial',
            components: [],
          },
        ],
      },
      snapshot,
    ).decision

  it('has every subheading', () => {
    expect(subheadings.length).toBe(5612)
  })

  it('blocks or reviews only the chemical lines of the registry', () => {
    const registryLines = new Set(
      document.groups.flatMap((g) =>
        g.hsRules.filter((r) => r.kind !== 'article').map((r) => r.prefix.slice(0, 6)),
      ),
    )
    const flagged = subheadings.filter((hs) => decide(hs) !== 'ALLOW')
    for (const hs of flagged) {
      expect(registryLines, hs).toContain(hs)
      expect(['29', '38']).toContain(hs.slice(0, 2))
    }
    expect(flagged).toEqual(
      expect.arrayContaining(['290811', '382489', '290930', '290329', '290399', '382499']),
    )
    expect(decide('290811')).toBe('BLOCK')
    expect(decide('290930')).toBe('REVIEW')
  })
})

describe('src/core is pure', () => {
  it('imports nothing that does IO', () => {
    const banned =
      /from '(fastify|drizzle-orm|pg|pino|@electric-sql\/pglite|node:(fs|net|http|child_process)|\.\.\/(db|services|http))/
    for (const file of readdirSync('src/core')) {
      const text = readFileSync(`src/core/${file}`, 'utf8')
      expect(text, file).not.toMatch(banned)
    }
  })
})

describe('registry document JSON Schema', () => {
  it('is committed as generated from the zod schema (run `npm run openapi` after changing it)', () => {
    expect(readFileSync(REGISTRY_SCHEMA_PATH, 'utf8')).toBe(registryDocumentJsonSchema())
  })

  it('accepts every committed registry version and refuses a document with a wrong shape', () => {
    const validate = new Ajv2020({ strict: false }).compile(
      JSON.parse(readFileSync(REGISTRY_SCHEMA_PATH, 'utf8')),
    )
    for (const file of readdirSync('registry/versions').filter((f) => f.endsWith('.json'))) {
      const document = JSON.parse(readFileSync(`registry/versions/${file}`, 'utf8'))
      expect(validate(document), `${file}: ${JSON.stringify(validate.errors)}`).toBe(true)
    }
    const broken = structuredClone(seedDocument()) as unknown as { groups: { cas: unknown }[] }
    broken.groups[0]!.cas = 'not a list'
    expect(validate(broken)).toBe(false)
    expect(validate.errors?.[0]?.instancePath).toBe('/groups/0/cas')
  })
})
