import { isUtf8 } from 'node:buffer'

/** Where a byte sequence stops being UTF-8: the offset of its first ill-formed byte, and that byte. */
export interface Utf8Fault {
  offset: number
  byte: number
  truncated: boolean
}

/**
 * The first ill-formed UTF-8 sequence in `bytes` (Unicode 15 table 3-7: no overlong forms, no surrogates,
 * nothing above U+10FFFF), or null when every byte is well-formed. `isUtf8` answers the common case; the
 * scan runs only to name the offset of a fault it found.
 */
export function findUtf8Fault(bytes: Uint8Array): Utf8Fault | null {
  if (isUtf8(bytes)) return null
  const n = bytes.length
  let i = 0
  while (i < n) {
    const b = bytes[i]!
    if (b < 0x80) {
      i++
      continue
    }
    // The length of the sequence this lead byte starts, and the range its second byte must fall in.
    let length: number
    let lo = 0x80
    let hi = 0xbf
    if (b >= 0xc2 && b <= 0xdf) length = 2
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3
      if (b === 0xe0) lo = 0xa0
      else if (b === 0xed) hi = 0x9f
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4
      if (b === 0xf0) lo = 0x90
      else if (b === 0xf4) hi = 0x8f
    } else return { offset: i, byte: b, truncated: false }
    for (let k = 1; k < length; k++) {
      if (i + k >= n) return { offset: i, byte: b, truncated: true }
      const c = bytes[i + k]!
      if (c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf))
        return { offset: i, byte: b, truncated: false }
    }
    i += length
  }
  // isUtf8 and this scan read the same table; reaching here would mean they disagree.
  return { offset: n, byte: 0, truncated: true }
}
