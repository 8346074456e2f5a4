import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { casCheckDigit, parseCas } from '../../src/core/cas.ts'
import { parseHsCode } from '../../src/core/hs.ts'
import { kilogramsOf } from '../../src/core/screening-request.ts'
import { foldText } from '../../src/core/text.ts'
import { findUtf8Fault } from '../../src/core/utf8.ts'

const validCas = fc
  .tuple(fc.integer({ min: 10, max: 9_999_999 }), fc.integer({ min: 0, max: 99 }))
  .map(([first, middle]) => {
    const body = `${first}${String(middle).padStart(2, '0')}`
    return `${first}-${String(middle).padStart(2, '0')}-${casCheckDigit(body)}`
  })

describe('CAS numbers', () => {
  it.each([
    ['1163-19-5', '1163-19-5'],
    ['1163195', '1163-19-5'],
    ['0001163-19-5', '1163-19-5'],
    ['  87-68-3 ', '87-68-3'],
    ['108171-26-2', '108171-26-2'],
  ])('%s is %s', (input, expected) => {
    expect(parseCas(input)).toEqual({ ok: true, cas: expected })
  })

  it.each([
    ['87-68-4', 'CAS_CHECK_DIGIT'],
    ['1163-19-6', 'CAS_CHECK_DIGIT'],
    ['50-0-0', 'CAS_FORMAT'],
    ['abc', 'CAS_FORMAT'],
    ['1-23-4', 'CAS_FORMAT'],
    ['', 'CAS_FORMAT'],
  ])('%s is refused with %s', (input, code) => {
    expect(parseCas(input)).toMatchObject({ ok: false, code })
  })

  it('round-trips every valid number through its plain and zero-padded forms', () => {
    fc.assert(
      fc.property(validCas, fc.integer({ min: 0, max: 3 }), (cas, pad) => {
        expect(parseCas(cas)).toEqual({ ok: true, cas })
        expect(parseCas(cas.replaceAll('-', ''))).toEqual({ ok: true, cas })
        expect(parseCas('0'.repeat(pad) + cas)).toEqual({ ok: true, cas })
      }),
    )
  })

  it('a single-digit change fails the check digit or names another number', () => {
    fc.assert(
      fc.property(validCas, fc.nat(), fc.integer({ min: 1, max: 9 }), (cas, at, delta) => {
        const digits = cas.replaceAll('-', '')
        const i = at % digits.length
        const changed = digits.slice(0, i) + String((Number(digits[i]) + delta) % 10) + digits.slice(i + 1)
        const parsed = parseCas(changed)
        if (parsed.ok) expect(parsed.cas).not.toBe(cas)
        else expect(['CAS_CHECK_DIGIT', 'CAS_FORMAT']).toContain(parsed.code)
      }),
    )
  })
})

describe('HS codes', () => {
  it.each([
    ['2908.11.00', '29081100'],
    ['2908 11 00 00', '2908110000'],
    ['2908-11', '290811'],
    ['3824999990101', '3824999990101'],
    ['2909', '2909'],
  ])('%s reads as %s', (input, digits) => {
    expect(parseHsCode(input)).toEqual({ ok: true, digits })
  })

  it.each([
    ['29081', 'HS_LENGTH'],
    ['290811000', 'HS_LENGTH'],
    ['2908.1A', 'HS_FORMAT'],
    ['7701', 'HS_CHAPTER'],
    ['0001', 'HS_CHAPTER'],
    ['9801', 'HS_CHAPTER'],
  ])('%s is refused with %s', (input, code) => {
    expect(parseHsCode(input)).toMatchObject({ ok: false, code })
  })

  it('separators never change the digits', () => {
    const code = fc
      .constantFrom(4, 6, 8, 10, 13)
      .chain((n) => fc.stringMatching(new RegExp(`^(2[0-9]|3[0-8])[0-9]{${n - 2}}$`)))
    fc.assert(
      fc.property(code, fc.array(fc.constantFrom('.', ' ', '-'), { maxLength: 13 }), (digits, seps) => {
        const spaced = [...digits].map((d, i) => d + (seps[i] ?? '')).join('')
        expect(parseHsCode(spaced)).toEqual(parseHsCode(digits))
      }),
    )
  })
})

describe('text folding', () => {
  it('folds width, case, spacing and punctuation', () => {
    expect(foldText('ＤＥＣＡ－ＢＤＥ').text).toBe('decabde')
    expect(foldText('Deca BDE').text).toBe('decabde')
    expect(foldText('氯化石蜡－52').text).toBe('氯化石蜡52')
  })
})

describe('kilograms of a declared quantity', () => {
  it('counts kg and customs unit 035 as kilograms and nothing else', () => {
    expect(kilogramsOf({ value: 12.5, unit: 'kg' })).toBe(12.5)
    expect(kilogramsOf({ value: 3, unit: '035' })).toBe(3)
    expect(kilogramsOf({ value: 3, unit: '036' })).toBeNull() // 克: reported apart, not converted
    expect(kilogramsOf({ value: 3, unit: '007' })).toBeNull()
    expect(kilogramsOf(undefined)).toBeNull()
  })
})

describe('UTF-8 faults', () => {
  it('agrees with a fatal TextDecoder and names an offset where decoding the prefix first fails', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true })
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 20 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
    )
    fc.assert(
      fc.property(bytes, (b) => {
        let valid = true
        try {
          fatal.decode(b)
        } catch {
          valid = false
        }
        const fault = findUtf8Fault(b)
        expect(fault === null).toBe(valid)
        if (fault) {
          // Everything before the fault decodes; the fault's own sequence does not.
          expect(() => fatal.decode(b.subarray(0, fault.offset))).not.toThrow()
          expect(() => fatal.decode(b.subarray(fault.offset))).toThrow()
        }
      }),
      { numRuns: 5000 },
    )
  })
  it.each([
    [[0x7b, 0xb6, 0xcc], 1, false],
    [[0xc0, 0x80], 0, false],
    [[0xed, 0xa0, 0x80], 0, false],
    [[0xf4, 0x90, 0x80, 0x80], 0, false],
    [[0x41, 0xe7, 0x9f], 1, true],
  ])('%j faults at %i', (bytes, offset, truncated) => {
    expect(findUtf8Fault(new Uint8Array(bytes))).toMatchObject({ offset, truncated })
  })
})
