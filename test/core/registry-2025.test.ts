import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { build2025 } from '../../scripts/registry-2025.ts'
import { CHANGES_FILE, renderChanges } from '../../scripts/registry-changes.ts'
import { PROBES, probeAnswer } from '../../scripts/registry-probes.ts'
import { RegistryDocumentSchema } from '../../src/core/registry-document.ts'
import { documentHash } from '../../src/services/registry-service.ts'
import { seedDocument, seedSnapshot } from '../helpers/registry.ts'

const v2024 = seedDocument('2024.1')
const v2025 = seedDocument('2025.1')

describe('registry versions stay immutable', () => {
  it('2024.1 keeps the hash it was released with', () => {
    expect(documentHash(v2024)).toBe(
      'sha256:f681aaa7dccab9f8c7c9458bf37bab877d2da5470a36fe8b9331fb44de73efbc',
    )
  })

  it('2025.1 is what the seed build script derives from 2024.1 and registry/sources', () => {
    const rebuilt = RegistryDocumentSchema.parse(
      build2025(v2024, 'registry/sources/registry-updates-2025.json'),
    )
    expect(documentHash(rebuilt)).toBe(documentHash(v2025))
  })

  it('the reviewed changes file is what scripts/registry-changes.ts writes', () => {
    expect(readFileSync(CHANGES_FILE, 'utf8')).toBe(renderChanges())
  })
})

describe('registry 2025.1 content', () => {
  const byId = new Map(v2025.groups.map((g) => [g.id, g]))

  it('writes HS prefixes as plain digits', () => {
    for (const g of v2025.groups) for (const r of g.hsRules) expect(r.prefix, g.id).toMatch(/^\d{2,10}$/)
  })

  it('designates the tariff lines seen: 2909309016, 2903820090, 2904320000', () => {
    const designates = (id: string, prefix: string) =>
      byId
        .get(id)!
        .hsRules.some((r) => r.prefix === prefix && r.kind === 'designates' && r.nomenclature === 'CN')
    expect(designates('tetra_pentabde', '2909309016')).toBe(true)
    expect(designates('hexa_heptabde', '2909309016')).toBe(true)
    expect(designates('chlordane', '2903820090')).toBe(true)
    expect(designates('pfos', '2904320000')).toBe(true)
  })

  it('carries the Stockholm CAS numbers of tetra- to heptaBDE', () => {
    const cas = (id: string) => byId.get(id)!.cas.map((c) => c.number)
    expect(cas('tetra_pentabde')).toEqual(expect.arrayContaining(['5436-43-1', '60348-60-9', '32534-81-9']))
    expect(cas('hexa_heptabde')).toEqual(
      expect.arrayContaining(['68631-49-2', '207122-15-4', '446255-22-7', '207122-16-5']),
    )
  })

  it('keeps COP-9 to COP-12 chemicals without a China measure on watch, with their listing recorded', () => {
    for (const id of ['dicofol', 'pfhxs', 'methoxychlor', 'uv328', 'chlorpyrifos', 'mccp', 'lc_pfca']) {
      const g = byId.get(id)!
      expect(
        g.measures.map((m) => m.type),
        id,
      ).toEqual(['watch'])
      expect(g.listing.exemptions?.length, id).toBeGreaterThan(0)
      expect(g.notes, id).toContain('No Chinese acceptance')
    }
    expect(byId.get('dechlorane_plus')!.measures.map((m) => [m.type, m.validFrom])).toEqual([
      ['ban', '2024-01-01'],
    ])
    expect(byId.get('pfoa')!.measures.map((m) => [m.type, m.validFrom])).toEqual([['permit', '2023-10-18']])
  })

  it('keeps aldrin, dieldrin, endrin, heptachlor and toxaphene on watch and says what was searched', () => {
    for (const id of ['aldrin', 'dieldrin', 'endrin', 'heptachlor', 'toxaphene']) {
      expect(
        byId.get(id)!.measures.map((m) => m.type),
        id,
      ).toEqual(['watch'])
      expect(byId.get(id)!.notes, id).toContain('search-log-2025.md')
    }
  })

  it('gives every name of every group a source', () => {
    for (const g of v2025.groups) {
      const sourced = new Set(g.nameSources?.flatMap((e) => e.names))
      for (const name of [
        g.names.zh,
        g.names.en,
        ...g.abbreviations,
        ...g.synonyms,
        ...g.tradeNames,
        ...g.reviewNames,
      ])
        expect(sourced.has(name), `${g.id}: ${name}`).toBe(true)
      for (const key of g.nameSources?.flatMap((e) => e.sources) ?? [])
        expect(v2025.sources).toHaveProperty(key)
    }
  })
})

describe('each changed group on both sides of every new date and exemption window (2025.1)', () => {
  const snapshot = seedSnapshot('2025.1')
  it.each(PROBES.map((p) => [`${p.group} by ${p.by} ${p.value} on ${p.date} (${p.direction})`, p] as const))(
    '%s',
    (_name, probe) => {
      expect(probeAnswer(probe, snapshot).codes).toBe(probe.expect)
    },
  )
})
