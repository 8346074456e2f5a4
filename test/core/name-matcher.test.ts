import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { NameMatcher } from '../../src/core/name-matcher.ts'
import { continuesChemicalName, extendsNumeral } from '../../src/core/name-rules.ts'
import {
  foldPattern,
  foldText,
  isLatinAlnum,
  needsWholeToken,
  normaliseForMatching,
} from '../../src/core/text.ts'

const NAMES = [
  'PCP',
  'HCBD',
  'CP-52',
  '五氯酚',
  '五氯酚钠',
  '氯化石蜡',
  '短链氯化石蜡',
  'decaBDE',
  'Halowax 1014',
  'aa',
  'aab',
  'ab',
]

/** The definition the automaton must agree with: every occurrence of every folded name, checked one by one. */
function naiveFind(text: string, names: string[], excluded: string[] = []) {
  const folded = foldText(text)
  const t = folded.text
  const latin = (i: number) => isLatinAlnum(t.charCodeAt(i))
  const edge = (i: number) =>
    i <= 0 || i >= t.length || folded.separatedBefore[i] === 1 || !(latin(i - 1) && latin(i))
  const digit = (i: number) => /[0-9]/.test(t[i]!)
  const fits = (needle: string, at: number, end: number) => {
    const short = needsWholeToken(needle)
    const ok = (i: number, right: boolean) =>
      edge(i) || (!short && (digit(i - 1) !== digit(i) || (right && t[i] === 's' && edge(i + 1))))
    const left = !isLatinAlnum(needle.charCodeAt(0)) || ok(at, false)
    const rightOk = !isLatinAlnum(needle.charCodeAt(needle.length - 1)) || ok(end, true)
    return left && rightOk
  }
  const occurrences = (list: string[]) =>
    list.flatMap((name) => {
      const needle = foldPattern(name)
      const out: { name: string; start: number; end: number }[] = []
      for (let at = t.indexOf(needle); at >= 0; at = t.indexOf(needle, at + 1)) {
        const end = at + needle.length
        if (!fits(needle, at, end)) continue
        const cjk = (c: number) => c >= 0x4e00 && c <= 0x9fff
        if (
          cjk(needle.charCodeAt(needle.length - 1)) &&
          end < t.length &&
          folded.separatedBefore[end] !== 1 &&
          continuesChemicalName(t.charCodeAt(end - 1), t.charCodeAt(end))
        )
          continue
        if (
          cjk(needle.charCodeAt(0)) &&
          at > 0 &&
          folded.separatedBefore[at] !== 1 &&
          extendsNumeral(t.charCodeAt(at - 1), t.charCodeAt(at))
        )
          continue
        out.push({ name, start: at, end })
      }
      return out
    })
  const found = occurrences(names)
  const blocks = occurrences(excluded)
  return found.filter(
    (m) =>
      !found.some(
        (o) => o !== m && o.start <= m.start && o.end >= m.end && o.end - o.start > m.end - m.start,
      ) && !blocks.some((b) => b.start < m.end && b.end > m.start && !(m.start <= b.start && b.end <= m.end)),
  )
}

const sorted = (ms: { name: string; start: number; end: number }[]) =>
  ms
    .map(({ name, start, end }) => ({ name, start, end }))
    .sort((a, b) => a.end - b.end || a.start - b.start || a.name.localeCompare(b.name))

describe('name matcher', () => {
  const matcher = new NameMatcher(NAMES.map((name) => ({ name, value: name })))

  it('finds names across width, case, spacing and punctuation, and keeps short Latin names whole', () => {
    expect(matcher.find('ＰＣＰ and 短链 氯化石蜡').map((m) => m.name)).toEqual(['PCP', '短链氯化石蜡'])
    expect(matcher.find('PCPA herbicide')).toEqual([])
    expect(matcher.find('cp52 grade').map((m) => m.name)).toEqual(['CP-52'])
  })

  it('agrees with a one-name-at-a-time search on any text', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        ...NAMES,
        'a',
        'b',
        'x',
        ' ',
        '-',
        '，',
        'Ａ',
        'ｐｃｐ',
        '钠',
        '\u00e9',
        'e\u0301',
        '𝐏',
      ),
      fc.string({ maxLength: 3, unit: 'binary' }),
    )
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const text = pieces.join('')
        const got = matcher.find(text)
        expect(sorted(got)).toEqual(sorted(naiveFind(text, NAMES)))
        // Order of first appearance: by end offset.
        for (let i = 1; i < got.length; i++) expect(got[i]!.end).toBeGreaterThanOrEqual(got[i - 1]!.end)
      }),
      { numRuns: 3000 },
    )
  })

  const CN_NAMES = ['七氯', '七氯化萘', '五氯苯', '五氯苯酚', '林丹', '硫丹', 'Aroclor', 'heptachlor', 'PCB']
  const EXCLUDED = ['森林', '丹参', '五氯苯胺']
  const cn = new NameMatcher(
    CN_NAMES.map((name) => ({ name, value: name })),
    EXCLUDED,
  )

  it('applies the Chinese rules: longest name, excluded words, chemical continuation, numerals', () => {
    const names = (text: string) => cn.find(text).map((m) => m.name)
    expect(names('森林丹参 饮片')).toEqual([])
    expect(names('七氯化萘 标准品')).toEqual(['七氯化萘'])
    expect(names('五氯苯胺 99%')).toEqual([])
    expect(names('五氯苯甲酸')).toEqual([])
    expect(names('十七氯代烷')).toEqual([])
    expect(names('七氯丙烷')).toEqual([])
    expect(names('五氯苯 原药，林丹乳油')).toEqual(['五氯苯', '林丹'])
    expect(names('五氯苯酚钠')).toEqual(['五氯苯酚'])
    expect(names('硫丹35%乳油')).toEqual(['硫丹'])
  })

  it('keeps Latin names whole at their Latin ends, with plurals and model numbers', () => {
    const names = (text: string) => cn.find(text).map((m) => m.name)
    expect(names('heptachloronaphthalene')).toEqual([])
    expect(names('heptachlor epoxide')).toEqual(['heptachlor'])
    expect(names('Aroclor1254 transformer fluid')).toEqual(['Aroclor'])
    expect(names('used Aroclors')).toEqual(['Aroclor'])
    expect(names('Aroclorite')).toEqual([])
    expect(names('PCBA assembly')).toEqual([])
  })

  it('agrees with a one-name-at-a-time search on Chinese and Latin text with excluded words', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        ...CN_NAMES,
        ...EXCLUDED,
        '十',
        '化',
        '胺',
        '萘',
        '丹',
        '森',
        ' ',
        's',
        '1254',
        'o',
        'A',
      ),
      fc.string({ maxLength: 2, unit: 'binary' }),
    )
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }), (pieces) => {
        const text = pieces.join('')
        expect(sorted(cn.find(text))).toEqual(sorted(naiveFind(text, CN_NAMES, EXCLUDED)))
      }),
      { numRuns: 3000 },
    )
  })

  it('grows its scratch space for long text', () => {
    const long = `${'x '.repeat(400)}HCBD ${'y'.repeat(300)}`
    expect(matcher.find(long).map((m) => m.name)).toEqual(['HCBD'])
  })
})

describe('matching normalisation', () => {
  it('skips NFKC only where NFKC changes nothing', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        expect(normaliseForMatching(s)).toBe(s.normalize('NFKC').toLowerCase())
      }),
      { numRuns: 5000 },
    )
  })
})
