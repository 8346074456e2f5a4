/**
 * How a name found inside a description is told apart from the same characters inside another word.
 * Chinese is written without spaces, so a POP name can sit inside a longer, different word: 林丹 (lindane)
 * in 森林丹参 (forest, salvia root), 七氯 (heptachlor) in 七氯化萘 (a PCN), 五氯苯 (PeCB) in 五氯苯胺
 * (pentachloroaniline). Four rules, applied by the name matcher in this order:
 *
 * 1. Longest match over the whole registry: a name inside a longer registry name is dropped (七氯 inside
 *    七氯化萘, a PCN name; 五氯苯 inside 五氯苯酚, a PCP name).
 * 2. Known other words: a name that lies inside, or crosses the edge of, a word of NOT_POP_WORDS is dropped
 *    (森林 crosses the left edge of 林丹 in 森林丹参, 丹参 its right edge).
 * 3. Chemical continuation: a Chinese name ending in a parent-compound stem (苯, 萘, 氯, 溴 …) is dropped
 *    when the next character, with no separator between, continues the chemical name (化, 胺, 酚, 醚, 甲 …):
 *    the text then names a derivative, not the POP (五氯苯胺, 七氯丙烷, 多氯联苯醚). Salts and esters of an
 *    acid or phenol name (五氯酚钠, 全氟辛基磺酸钾) keep matching: those names end in 酸/酚, not a stem.
 * 4. Numerals: a Chinese name starting with a numeral (七氯, 五氯苯) is dropped when a numeral precedes it
 *    directly (十七氯…: heptadecachloro, not heptachlor).
 *
 * Latin names must stand as whole words at their Latin ends (`heptachlor` is not in `heptachloronaphthalene`);
 * names longer than six letters also end where a letter meets a digit (`Aroclor1254`) and may take a plural
 * `s` (`Aroclors`). Ambiguous abbreviations (`PCB`, printed circuit board) are registry data
 * (`contextNames`): the screening counts them only beside a context word of their group.
 */

/** Everyday and chemical words that contain or overlap a POP name without meaning it. */
export const NOT_POP_WORDS: readonly string[] = [
  // …林 + 丹… : 林丹 (lindane) across a word boundary
  '森林',
  '园林',
  '树林',
  '丛林',
  '竹林',
  '山林',
  '雨林',
  '农林',
  '胶林',
  '桂林',
  '吉林',
  '少林',
  '武林',
  '杏林',
  '柏林',
  '翰林',
  '如林',
  // 丹… : herbal medicines, plants, places after 林/硫/氯
  '丹参',
  '丹皮',
  '丹桂',
  '丹麦',
  '丹砂',
  '丹顶',
  '丹青',
  '丹凤',
  '丹霞',
  '丹田',
  '丹药',
  '丹东',
  '丹阳',
  '丹江',
  // chemicals whose names contain a POP name (rule 3 covers most; listed for the record and for safety)
  '五氯苯胺',
  '五氯苯硫酚',
  '七氯丙烷',
  '多氯联苯醚',
  '六氯苯胺',
  // Latin: a person's name in toy and book descriptions
  'Buzz Aldrin',
]

const code = (s: string) => s.codePointAt(0)!

/** Last characters of a parent-compound name that a further morpheme can extend. */
const STEM_ENDINGS = new Set([...'苯萘氯溴氟碘烷烯茚'].map(code))
/** Characters that, right after a stem, continue a chemical name into another substance. */
const CONTINUATIONS = new Set(
  [...'化胺酚醇醛酮酸醚酯腈萘甲乙丙丁戊己庚辛硝基醌磺羧酰烷烯炔苯联硫氧环并磷膦'].map(code),
)
const NUMERALS = new Set([...'一二三四五六七八九十'].map(code))

/** Rule 3: `last` ends a Chinese name, `next` follows it directly in the text. */
export function continuesChemicalName(last: number, next: number): boolean {
  return STEM_ENDINGS.has(last) && CONTINUATIONS.has(next)
}

/** Rule 4: `first` starts a Chinese name, `previous` precedes it directly in the text. */
export function extendsNumeral(previous: number, first: number): boolean {
  return NUMERALS.has(first) && NUMERALS.has(previous)
}

export function isCjk(c: number): boolean {
  return c >= 0x4e00 && c <= 0x9fff
}
