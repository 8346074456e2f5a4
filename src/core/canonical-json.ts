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
