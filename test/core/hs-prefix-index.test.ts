import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HsPrefixIndex } from '../../src/core/hs-prefix-index.ts'

describe('HS prefix index', () => {
  it('answers every stored prefix of a code, longest first, as a scan of all prefixes would', () => {
    const digits = (min: number, max: number) =>
      fc.string({ unit: fc.constantFrom('2', '9', '0', '8'), minLength: min, maxLength: max })
    fc.assert(
      fc.property(fc.array(digits(2, 13), { maxLength: 30 }), digits(4, 13), (prefixes, code) => {
        const index = new HsPrefixIndex(prefixes.map((p, i) => [p, i] as const))
        const expected = [...new Set(prefixes.filter((p) => code.startsWith(p)))]
          .sort((a, b) => b.length - a.length)
          .map((p) => ({
            length: p.length,
            hits: prefixes.flatMap((q, i) => (q === p ? [i] : [])),
          }))
        expect(index.prefixesOf(code)).toEqual(expected)
      }),
      { numRuns: 2000 },
    )
  })
})

describe('HS prefix index: only digits', () => {
  it.each(['2908.11', '2908 11', '29-08', '29a8', ''])(
    'refuses %j instead of indexing other digits',
    (prefix) => {
      expect(() => new HsPrefixIndex([[prefix, 1]])).toThrow(RangeError)
    },
  )
})

describe('HS prefix index: lines within a heading', () => {
  it('answers every stored prefix longer than a code that starts with it, shortest first', () => {
    const digits = (min: number, max: number) =>
      fc.string({ unit: fc.constantFrom('2', '9', '0', '8'), minLength: min, maxLength: max })
    fc.assert(
      fc.property(fc.array(digits(2, 13), { maxLength: 30 }), digits(2, 13), (prefixes, code) => {
        const index = new HsPrefixIndex(prefixes.map((p, i) => [p, i] as const))
        const expected = [...new Set(prefixes.filter((p) => p.length > code.length && p.startsWith(code)))]
          .map((p) => ({
            length: p.length,
            prefix: p,
            hits: prefixes.flatMap((q, i) => (q === p ? [i] : [])),
          }))
          .sort((a, b) => a.length - b.length)
        const got = index.linesWithin(code)
        expect(got.map((h) => h.length)).toEqual(expected.map((e) => e.length))
        expect(got.flatMap((h) => h.hits).sort()).toEqual(expected.flatMap((e) => e.hits).sort())
      }),
      { numRuns: 2000 },
    )
  })
})
