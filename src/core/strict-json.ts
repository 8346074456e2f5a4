/**
 * JSON.parse keeps the last of two members with the same key, and other readers keep the first: an audit
 * line whose payload holds `"response"` twice (the first copy saying ALLOW) hashed like the untouched line,
 * while a person or a tool reading the first copy saw another decision. Text that is to be verified is
 * read with `parseStrictJson`, which refuses such text.
 */
export class DuplicateKeyError extends Error {
  override name = 'DuplicateKeyError'
  constructor(readonly key: string) {
    super(`the key ${JSON.stringify(key)} appears twice in one object`)
  }
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COLON = 0x3a

/** Whether code unit `c` is JSON whitespace. */
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09

/**
 * The first key that occurs twice in one object of `text` (keys compared as decoded, so `"a"` and
 * `"\u0061"` are the same key), or null. `text` must be valid JSON (parse it first): the scan only tracks
 * strings, brackets and colons. Strings are skipped with indexOf, so a long payload costs little more
 * than its number of objects and keys.
 */
export function duplicateKeyIn(text: string): string | null {
  // One set of keys per open object; null for an open array.
  const open: (Set<string> | null)[] = []
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      let end = i
      for (;;) {
        end = text.indexOf('"', end + 1)
        let backslashes = 0
        while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++
        if (backslashes % 2 === 0) break
      }
      const keys = open[open.length - 1]
      if (keys) {
        let next = end + 1
        while (isSpace(text.charCodeAt(next))) next++
        if (text.charCodeAt(next) === COLON) {
          const raw = text.slice(i + 1, end)
          const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw
          if (keys.has(key)) return key
          keys.add(key)
        }
      }
      i = end + 1
    } else {
      if (c === 0x7b)
        open.push(new Set()) // {
      else if (c === 0x5b)
        open.push(null) // [
      else if (c === 0x7d || c === 0x5d) open.pop() // } ]
      i++
    }
  }
  return null
}

/** JSON.parse that throws DuplicateKeyError for an object with a key twice (see duplicateKeyIn). */
export function parseStrictJson(text: string): unknown {
  const value: unknown = JSON.parse(text)
  const duplicate = duplicateKeyIn(text)
  if (duplicate !== null) throw new DuplicateKeyError(duplicate)
  return value
}
