import { describe, expect, it } from 'vitest'
import { diffRegistries } from '../../src/core/registry-diff.ts'
import type { RegistryDocument } from '../../src/core/registry-document.ts'
import { seedDocument } from '../helpers/registry.ts'

/** The seed with PCP's one ban split into an import ban and an export ban. */
function splitPcp(): RegistryDocument {
  const doc = seedDocument()
  const pcp = doc.groups.find((g) => g.id === 'pcp')!
  const ban = pcp.measures[0]!
  pcp.measures = [
    { ...structuredClone(ban), directions: ['import'] },
    { ...structuredClone(ban), directions: ['export'] },
  ]
  return doc
}

describe('registry diff: measures', () => {
  it('a measure removed beside one that differs only in direction is reported', () => {
    const before = splitPcp()
    const after = splitPcp()
    after.version = '2099.2'
    after.groups.find((g) => g.id === 'pcp')!.measures.splice(0, 1)
    const diff = diffRegistries(before, after)
    expect(diff.measures.removed).toEqual(['pcp/ban/import/2023-06-06..'])
    expect(diff.measures.added).toEqual([])
  })

  it('an end date given to one of two measures of a group is reported', () => {
    const before = splitPcp()
    const after = splitPcp()
    after.groups.find((g) => g.id === 'pcp')!.measures[0]!.validTo = '2024-12-31'
    const diff = diffRegistries(before, after)
    expect(diff.measures.removed).toEqual(['pcp/ban/import/2023-06-06..'])
    expect(diff.measures.added).toEqual(['pcp/ban/import/2023-06-06..2024-12-31'])
  })

  it('two measures with the same key are numbered, so a change to either shows', () => {
    const before = splitPcp()
    for (const m of before.groups.find((g) => g.id === 'pcp')!.measures) m.directions = ['import', 'export']
    const after = structuredClone(before)
    after.groups.find((g) => g.id === 'pcp')!.measures[0]!.legalBasis = 'changed'
    const diff = diffRegistries(before, after)
    expect(diff.measures.changed).toEqual(['pcp/ban/export+import/2023-06-06..'])
    const dropped = structuredClone(before)
    dropped.groups.find((g) => g.id === 'pcp')!.measures.pop()
    expect(diffRegistries(before, dropped).measures.removed).toEqual(['pcp/ban/export+import/2023-06-06..#2'])
  })

  it('the seed against itself is no change', () => {
    const diff = diffRegistries(seedDocument(), seedDocument())
    for (const part of [diff.groups, diff.identifiers, diff.hsRules, diff.measures])
      expect(part).toEqual({ added: [], removed: [], changed: [] })
  })
})
