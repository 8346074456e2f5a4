import type { RegistryDocument, RegistryGroup } from './registry-document.ts'

export interface CollectionDiff {
  added: string[]
  removed: string[]
  changed: string[]
}

export interface RegistryDiff {
  from: string
  to: string
  groups: CollectionDiff
  identifiers: CollectionDiff
  hsRules: CollectionDiff
  measures: CollectionDiff
}

type Keyed = Map<string, string>

function diffMaps(before: Keyed, after: Keyed): CollectionDiff {
  const added: string[] = []
  const removed: string[] = []
  const changed: string[] = []
  for (const [key, value] of after) {
    const old = before.get(key)
    if (old === undefined) added.push(key)
    else if (old !== value) changed.push(key)
  }
  for (const key of before.keys()) if (!after.has(key)) removed.push(key)
  return { added: added.sort(), removed: removed.sort(), changed: changed.sort() }
}

function index(doc: RegistryDocument) {
  const groups: Keyed = new Map()
  const identifiers: Keyed = new Map()
  const hsRules: Keyed = new Map()
  const measures: Keyed = new Map()
  const json = (v: unknown) => JSON.stringify(v)
  for (const g of doc.groups) {
    const { cas, hsRules: rules, measures: ms, ...rest } = g as RegistryGroup
    groups.set(g.id, json(rest))
    for (const c of cas) identifiers.set(`${g.id}/cas/${c.number}`, json(c))
    for (const r of rules) hsRules.set(`${g.id}/hs/${r.prefix}/${r.kind}`, json(r))
    for (const m of ms) measures.set(`${g.id}/${m.type}/${m.validFrom}`, json(m))
  }
  return { groups, identifiers, hsRules, measures }
}

/** What an admin must review before activating: keys name the group and the entry. */
export function diffRegistries(before: RegistryDocument, after: RegistryDocument): RegistryDiff {
  const a = index(before)
  const b = index(after)
  return {
    from: before.version,
    to: after.version,
    groups: diffMaps(a.groups, b.groups),
    identifiers: diffMaps(a.identifiers, b.identifiers),
    hsRules: diffMaps(a.hsRules, b.hsRules),
    measures: diffMaps(a.measures, b.measures),
  }
}
