import canonicalizeModule from 'canonicalize'

// canonicalize 2.x is CommonJS whose typings declare an ES default export; under nodenext the default is
// module.exports itself. (3.x+ is ESM but requires Node 22.)
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined

/** RFC 8785 canonical JSON: what the audit chain, registry hashes and idempotency hashes are taken over. */
export function canonicalJson(value: unknown): string {
  const canonical = canonicalize(value)
  if (canonical === undefined) throw new Error('value cannot be canonicalised')
  return canonical
}

/**
 * The canonical JSON of an object whose members are given as canonical JSON already, so a part that is
 * canonicalised for one purpose (the request, for its idempotency hash) is not canonicalised again as
 * part of a larger document. Keys sort by UTF-16 code units, as RFC 8785 requires.
 */
export function canonicalObject(members: Readonly<Record<string, string>>): string {
  const keys = Object.keys(members).sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${members[k]}`).join(',')}}`
}
