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
  // A key names an entry by what tells it apart; two entries that still share one are numbered in document
  // order rather than letting the later hide the earlier (a diff that shows nothing must mean no change).
  const put = (map: Keyed, key: string, value: unknown) => {
    let unique = key
    for (let n = 2; map.has(unique); n++) unique = `${key}#${n}`
    map.set(unique, json(value))
  }
  for (const g of doc.groups) {
    const { cas, hsRules: rules, measures: ms, ...rest } = g as RegistryGroup
    put(groups, g.id, rest)
    for (const c of cas) put(identifiers, `${g.id}/cas/${c.number}`, c)
    for (const r of rules) put(hsRules, `${g.id}/hs/${r.prefix}/${r.kind}`, r)
    for (const m of ms)
      put(
        measures,
        `${g.id}/${m.type}/${[...m.directions].sort().join('+')}/${m.validFrom}..${m.validTo ?? ''}`,
        m,
      )
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
