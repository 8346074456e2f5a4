import { parseCas } from './cas.ts'
import { parseHsPrefix } from './hs.ts'
import { HsPrefixIndex } from './hs-prefix-index.ts'
import { NameMatcher } from './name-matcher.ts'
import type { RegistryCas, RegistryDocument, RegistryGroup, RegistryHsRule } from './registry-document.ts'

export interface CasHit {
  group: RegistryGroup
  entry: RegistryCas
}
export interface HsHit {
  group: RegistryGroup
  rule: RegistryHsRule
}
export interface NameHit {
  group: RegistryGroup
  reviewOnly: boolean
}

/** The active registry, indexed once per activation and never mutated: screenings share it freely. */
export interface RegistrySnapshot {
  readonly version: string
  /** `sha256:<hex>` of the canonical document. */
  readonly hash: string
  readonly document: RegistryDocument
  readonly groups: ReadonlyMap<string, RegistryGroup>
  readonly cas: ReadonlyMap<string, readonly CasHit[]>
  readonly hs: HsPrefixIndex<HsHit>
  readonly names: NameMatcher<NameHit>
}

export function buildSnapshot(document: RegistryDocument, hash: string): RegistrySnapshot {
  const groups = new Map<string, RegistryGroup>()
  const cas = new Map<string, CasHit[]>()
  const hs: [string, HsHit][] = []
  const names: { name: string; value: NameHit }[] = []
  const push = <K, V>(map: Map<K, V[]>, key: K, value: V) => {
    const list = map.get(key)
    if (list) list.push(value)
    else map.set(key, [value])
  }
  for (const group of document.groups) {
    groups.set(group.id, group)
    for (const entry of group.cas) {
      const parsed = parseCas(entry.number)
      if (parsed.ok) push(cas, parsed.cas, { group, entry })
    }
    // Versions stored before prefixes had to be plain digits may still carry separators.
    for (const rule of group.hsRules) {
      const parsed = parseHsPrefix(rule.prefix)
      if (parsed.ok) hs.push([parsed.digits, { group, rule }])
    }
    const listed = [
      group.names.zh,
      group.names.en,
      ...group.abbreviations,
      ...group.synonyms,
      ...group.tradeNames,
    ]
    for (const name of new Set(listed)) names.push({ name, value: { group, reviewOnly: false } })
    for (const name of new Set(group.reviewNames)) names.push({ name, value: { group, reviewOnly: true } })
  }
  return {
    version: document.version,
    hash,
    document,
    groups,
    cas,
    hs: new HsPrefixIndex(hs),
    names: new NameMatcher(names),
  }
}
