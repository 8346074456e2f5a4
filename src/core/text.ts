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

export function foldText(input: string): FoldedText {
  const source = input.normalize('NFKC').toLowerCase()
  const separatedBefore = new Uint8Array(source.length + 1)
  let out = ''
  let pendingSeparator = false
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i)
    const keep =
      (c >= 97 && c <= 122) ||
      (c >= 48 && c <= 57) ||
      (c >= 0x4e00 && c <= 0x9fff) ||
      (c > 127 && LETTER_OR_DIGIT.test(source[i] as string))
    if (!keep) {
      pendingSeparator = true
      continue
    }
    if (pendingSeparator) separatedBefore[out.length] = 1
    pendingSeparator = false
    out += source[i]
  }
  separatedBefore[out.length] = 1
  return { text: out, separatedBefore }
}

/** Folded form of a pattern; patterns need no boundary information. */
export function foldPattern(input: string): string {
  return foldText(input).text
}

function isLatinAlnum(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 48 && code <= 57)
}

/** A token edge lies between two characters unless both are Latin letters/digits written together. */
export function isTokenEdge(folded: FoldedText, index: number): boolean {
  if (index <= 0 || index >= folded.text.length) return true
  if (folded.separatedBefore[index] === 1) return true
  return !(isLatinAlnum(folded.text.charCodeAt(index - 1)) && isLatinAlnum(folded.text.charCodeAt(index)))
}

/** Short all-Latin names (PCP, HCBD, CP-52) must stand alone: `PCPA` is not `PCP`. */
export function needsWholeToken(folded: string): boolean {
  if (folded.length > 6) return false
  for (let i = 0; i < folded.length; i++) if (!isLatinAlnum(folded.charCodeAt(i))) return false
  return true
}
