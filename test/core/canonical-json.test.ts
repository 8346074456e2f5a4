import canonicalizeModule from 'canonicalize'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalJson } from '../../src/core/canonical-json.ts'

// The reference: the `canonicalize` package, by one of RFC 8785's authors (CommonJS; see tsconfig's nodenext).
const reference = canonicalizeModule as unknown as (input: unknown) => string | undefined

/** JSON values with any UTF-16 text (lone surrogates too), awkward numbers, and what JSON.stringify drops. */
const value = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'binary' }),
    fc.string({ unit: fc.constantFrom('a', 'B', 'é', '中', '😀', '\ud800', '\u0000', '"', '\\', '\u2028') }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(0, -0, 1e21, 1e-7, 2 ** 53, 0.1 + 0.2),
    fc.boolean(),
    fc.constant(null),
    fc.date({ noInvalidDate: true }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 4 }), fc.option(tie('value'), { nil: undefined })),
  ),
})).value

describe('canonical JSON', () => {
  it('equals the RFC 8785 reference implementation on any JSON value', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(reference(v))
      }),
      { numRuns: 5_000 },
    )
  })

  it('refuses what JSON cannot represent', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    for (const bad of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      { n: Number.NEGATIVE_INFINITY },
      cyclic,
      () => 1,
    ])
      expect(() => canonicalJson(bad)).toThrow()
  })
})
