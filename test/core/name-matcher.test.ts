import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { NameMatcher } from '../../src/core/name-matcher.ts'
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
function naiveFind(text: string, names: string[]) {
  const folded = foldText(text)
  const edge = (i: number) =>
    i <= 0 ||
    i >= folded.text.length ||
    folded.separatedBefore[i] === 1 ||
    !(isLatinAlnum(folded.text.charCodeAt(i - 1)) && isLatinAlnum(folded.text.charCodeAt(i)))
  const found: { name: string; start: number; end: number }[] = []
  for (const name of names) {
    const needle = foldPattern(name)
    for (let at = folded.text.indexOf(needle); at >= 0; at = folded.text.indexOf(needle, at + 1)) {
      const end = at + needle.length
      if (needsWholeToken(needle) && !(edge(at) && edge(end))) continue
      found.push({ name, start: at, end })
    }
  }
  return found.filter(
    (m) =>
      !found.some(
        (o) => o !== m && o.start <= m.start && o.end >= m.end && o.end - o.start > m.end - m.start,
      ),
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
