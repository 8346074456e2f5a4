import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DuplicateKeyError, duplicateKeyIn, parseStrictJson } from '../../src/core/strict-json.ts'

const key = fc.string({ unit: fc.constantFrom('a', 'b', '"', '\\', '中', '😀', '\u0000', ':', '{', '[') })
const value = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: fc.constantFrom('a', '"', '\\', '}', ']', ':', ',', '{') }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
})).value

describe('strict JSON', () => {
  it('finds no duplicate in any serialised value, in any spacing', () => {
    fc.assert(
      fc.property(value, fc.constantFrom(undefined, 1, '\t'), (v, space) => {
        const text = JSON.stringify(v, null, space)
        expect(duplicateKeyIn(text)).toBeNull()
        expect(parseStrictJson(text)).toEqual(JSON.parse(text))
      }),
      { numRuns: 1_000 },
    )
  })

  it('finds a key written twice at any depth, however it is spelled', () => {
    fc.assert(
      fc.property(value, key, value, value, (inner, k, first, last) => {
        const object = `{${JSON.stringify(k)}:${JSON.stringify(first)},"x":${JSON.stringify(inner)},${JSON.stringify(k)}:${JSON.stringify(last)}}`
        const text = `[1,{"wrap":${object}}]`
        expect(duplicateKeyIn(text)).toBe(k)
        expect(() => parseStrictJson(text)).toThrow(DuplicateKeyError)
      }),
      { numRuns: 500 },
    )
    expect(duplicateKeyIn('{"a":1, "\\u0061" : 2}')).toBe('a')
    // The same key in sibling and nested objects is no duplicate.
    expect(duplicateKeyIn('{"a":{"a":1},"b":[{"a":1},{"a":2}]}')).toBeNull()
  })

  it('refuses the payload whose first "response" says ALLOW and whose last says BLOCK', () => {
    const text = '{"request":{},"response":{"decision":"ALLOW"},"response":{"decision":"BLOCK"}}'
    expect(JSON.parse(text).response.decision).toBe('BLOCK') // what a plain parse would have verified
    expect(() => parseStrictJson(text)).toThrow(/"response" appears twice/)
  })
})
