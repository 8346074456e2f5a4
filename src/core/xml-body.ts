import iconv from 'iconv-lite'

/**
 * Turning an XML request body's bytes into text (dec-message.md §1, §6). The encoding comes from the XML
 * declaration — what a legacy customs system writing GBK states — and a `charset` parameter may confirm it
 * but not contradict it. Only the encodings Chinese declaration systems write are read: UTF-8 and the GB
 * family (GB2312 ⊂ GBK ⊂ GB18030).
 */
export interface XmlRefusal {
  status: 400 | 415 | 422
  /** One of the problem codes of src/services/problem-codes.ts (core does not import it). */
  code: 'XML_MALFORMED' | 'XML_DTD_FORBIDDEN' | 'UNSUPPORTED_MEDIA_TYPE' | 'VALIDATION_FAILED'
  detail: string
}

export interface DecodedXml {
  ok: true
  /** The body as text, a leading byte-order mark kept, so the text encodes back to exactly the bytes received. */
  text: string
  /** The encoding the bytes were read with: `UTF-8`, `GBK` or `GB18030`. */
  encoding: XmlEncoding
}

export type XmlEncoding = 'UTF-8' | 'GBK' | 'GB18030'

// WHATWG's labels for the same decoders: GB2312 is read as GBK, its superset.
const ENCODINGS: Record<string, XmlEncoding> = {
  'utf-8': 'UTF-8',
  utf8: 'UTF-8',
  gbk: 'GBK',
  gb2312: 'GBK',
  'x-gbk': 'GBK',
  cp936: 'GBK',
  gb18030: 'GB18030',
}

// The XML declaration, which must open the document (after an optional BOM). Its encoding name is ASCII
// in every encoding accepted here, so it is read from the raw bytes before anything is decoded.
const DECLARATION =
  /^(?:\uFEFF|\xEF\xBB\xBF)?<\?xml[ \t\r\n][^?]*?encoding[ \t\r\n]*=[ \t\r\n]*(["'])([^"']*)\1/

const UTF8_BOM = [0xef, 0xbb, 0xbf]

export function decodeXmlBody(body: Uint8Array, charset: string | undefined): DecodedXml | XmlRefusal {
  const head = latin1(body.subarray(0, 256))
  if ((body[0] === 0xff && body[1] === 0xfe) || (body[0] === 0xfe && body[1] === 0xff))
    return unsupported('UTF-16 (byte-order mark)')
  const declared = DECLARATION.exec(head)?.[2]
  const fromDeclaration = declared === undefined ? undefined : ENCODINGS[declared.toLowerCase()]
  if (declared !== undefined && !fromDeclaration) return unsupported(`"${declared}" (XML declaration)`)
  const label = charset?.trim().replace(/^"|"$/g, '')
  const fromCharset = label === undefined ? undefined : ENCODINGS[label.toLowerCase()]
  if (label !== undefined && !fromCharset) return unsupported(`"${label}" (Content-Type charset)`)
  if (fromDeclaration && fromCharset && family(fromDeclaration) !== family(fromCharset))
    return {
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: `the Content-Type charset ${label} contradicts the XML declaration's encoding ${declared}`,
    }
  const hasBom = UTF8_BOM.every((b, i) => body[i] === b)
  // Both name the same family when both are present; GB18030 reads everything GBK does, so it wins.
  const encoding =
    fromDeclaration === 'GB18030' || fromCharset === 'GB18030'
      ? 'GB18030'
      : (fromDeclaration ?? fromCharset ?? 'UTF-8')
  if (hasBom && encoding !== 'UTF-8')
    return {
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: `the body starts with a UTF-8 byte-order mark but declares ${declared ?? label}`,
    }
  return encoding === 'UTF-8' ? decodeUtf8(body) : decodeGb(body, encoding)
}

// ignoreBOM keeps a leading BOM in the text, so the stored text re-encodes to the received bytes.
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true })
const UTF8_REPLACING = new TextDecoder('utf-8', { ignoreBOM: true })

function decodeUtf8(body: Uint8Array): DecodedXml | XmlRefusal {
  try {
    return { ok: true, text: UTF8.decode(body), encoding: 'UTF-8' }
  } catch {
    return undecodable(UTF8_REPLACING.decode(body), 'UTF-8')
  }
}

function decodeGb(body: Uint8Array, encoding: 'GBK' | 'GB18030'): DecodedXml | XmlRefusal {
  const text = iconv.decode(Buffer.from(body.buffer, body.byteOffset, body.byteLength), encoding, {
    stripBOM: false,
  })
  // iconv-lite replaces what it cannot read; a body that does not survive the round trip was not GB text.
  if (!iconv.encode(text, encoding).equals(body)) return undecodable(text, encoding)
  return { ok: true, text, encoding }
}

function undecodable(text: string, encoding: string): XmlRefusal {
  const at = text.indexOf('\uFFFD')
  return {
    status: 400,
    code: 'XML_MALFORMED',
    detail: `the body is not valid ${encoding}${at >= 0 ? ` at ${lineAndColumn(text, at)}` : ''}`,
  }
}

function unsupported(what: string): XmlRefusal {
  return {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: `encoding ${what} is not supported; send UTF-8, GBK, GB2312 or GB18030`,
  }
}

const family = (e: XmlEncoding) => (e === 'UTF-8' ? 'utf' : 'gb')

function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes)
}

/** `line L, column C` (1-based, columns in characters) of an offset in text. */
export function lineAndColumn(text: string, offset: number): string {
  let line = 1
  let lineStart = 0
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++
    lineStart = i + 1
  }
  return `line ${line}, column ${offset - lineStart + 1}`
}
