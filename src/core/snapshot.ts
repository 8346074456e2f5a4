import { canonicalJson } from './canonical-json.ts'
import { parseCas } from './cas.ts'
import { parseHsPrefix } from './hs.ts'
import { HsPrefixIndex } from './hs-prefix-index.ts'
import { NameMatcher, type NamePattern } from './name-matcher.ts'
import { NOT_POP_WORDS } from './name-rules.ts'
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
  /**
   * `name`: counts on its own. `ambiguous`: an abbreviation with an everyday sense (PCB); counts only when a
   * `context` word of the same group is in the same description. `context`: never a finding itself.
   */
  role: 'name' | 'ambiguous' | 'context'
}

/**
 * What answers quote from the registry, as JSON text escaped once per snapshot instead of once per line
 * (see answer-json.ts).
 */
export interface SnapshotJson {
  /** The answer's `registry` member: `{"hash":…,"version":…}`. */
  readonly registry: string
  /** By group id, the members every reason and advisory of that group ends with: `"substance":…,"substanceId":…`. */
  readonly groupTail: ReadonlyMap<string, string>
  /** A legal basis's text → its JSON string. */
  readonly legalBasis: ReadonlyMap<string, string>
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
  readonly json: SnapshotJson
}

export function buildSnapshot(document: RegistryDocument, hash: string): RegistrySnapshot {
  const groups = new Map<string, RegistryGroup>()
  const cas = new Map<string, CasHit[]>()
  const hs: [string, HsHit][] = []
  const names: NamePattern<NameHit>[] = []
  const groupTail = new Map<string, string>()
  const legalBasis = new Map<string, string>()
  const push = <K, V>(map: Map<K, V[]>, key: K, value: V) => {
    const list = map.get(key)
    if (list) list.push(value)
    else map.set(key, [value])
  }
  for (const group of document.groups) {
    groups.set(group.id, group)
    groupTail.set(
      group.id,
      `"substance":${canonicalJson(group.names)},"substanceId":${JSON.stringify(group.id)}`,
    )
    for (const m of group.measures) legalBasis.set(m.legalBasis, JSON.stringify(m.legalBasis))
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
    for (const name of new Set(listed))
      names.push({ name, value: { group, reviewOnly: false, role: 'name' } })
    for (const name of new Set(group.reviewNames))
      names.push({ name, value: { group, reviewOnly: true, role: 'name' } })
    for (const entry of group.contextNames ?? []) {
      for (const name of entry.names)
        names.push({ name, value: { group, reviewOnly: false, role: 'ambiguous' } })
      for (const name of entry.context)
        names.push({ name, role: 'context', value: { group, reviewOnly: false, role: 'context' } })
    }
  }
  return {
    version: document.version,
    hash,
    document,
    groups,
    cas,
    hs: new HsPrefixIndex(hs),
    names: new NameMatcher(names, NOT_POP_WORDS),
    json: { registry: canonicalJson({ version: document.version, hash }), groupTail, legalBasis },
  }
}
