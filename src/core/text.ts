/**
 * Name matching works on folded text: NFKC (full-width → ASCII), lower case, and only letters and digits
 * kept, so `ＤＥＣＡ－ＢＤＥ`, `Deca BDE` and `deca-bde` all read `decabde`. `separatedBefore[i]` remembers
 * where punctuation or spacing was dropped, so short Latin abbreviations can still require whole tokens.
 */
export interface FoldedText {
  text: string
  separatedBefore: Uint8Array
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u

/**
 * Printable ASCII (with tab and line breaks) and CJK Unified Ideographs: they have no compatibility
 * mappings and never compose, so NFKC leaves text made only of them unchanged. Most descriptions are such
 * text and skip the (comparatively costly) normalisation.
 */
export function isNfkcStable(c: number): boolean {
  return (c >= 32 && c < 127) || c === 9 || c === 10 || c === 13 || (c >= 0x4e00 && c <= 0x9fff)
}

/** NFKC and lower case: the form whose letters and digits are matched. */
export function normaliseForMatching(input: string): string {
  for (let i = 0; i < input.length; i++)
    if (!isNfkcStable(input.charCodeAt(i))) return input.normalize('NFKC').toLowerCase()
  return input.toLowerCase()
}

/** Whether the code unit at `i` of normalised text is a letter or digit that folding keeps. */
export function isKeptAt(source: string, i: number): boolean {
  const c = source.charCodeAt(i)
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 48 && c <= 57)
  return (c >= 0x4e00 && c <= 0x9fff) || LETTER_OR_DIGIT.test(source[i] as string)
}

export function foldText(input: string): FoldedText {
  const source = normaliseForMatching(input)
  const separatedBefore = new Uint8Array(source.length + 1)
  const kept: string[] = []
  let pendingSeparator = false
  for (let i = 0; i < source.length; i++) {
    if (!isKeptAt(source, i)) {
      pendingSeparator = true
      continue
    }
    if (pendingSeparator) separatedBefore[kept.length] = 1
    pendingSeparator = false
    kept.push(source[i] as string)
  }
  separatedBefore[kept.length] = 1
  return { text: kept.join(''), separatedBefore }
}

/** Folded form of a pattern; patterns need no boundary information. */
export function foldPattern(input: string): string {
  return foldText(input).text
}

export function isLatinAlnum(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 48 && code <= 57)
}

/** Short all-Latin names (PCP, HCBD, CP-52) must stand alone: `PCPA` is not `PCP`. */
export function needsWholeToken(folded: string): boolean {
  if (folded.length > 6) return false
  for (let i = 0; i < folded.length; i++) if (!isLatinAlnum(folded.charCodeAt(i))) return false
  return true
}
