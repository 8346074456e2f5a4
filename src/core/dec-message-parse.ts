import { XMLParser, XMLValidator } from 'fast-xml-parser'
import type { FieldError } from './validation-errors.ts'
import { lineAndColumn, type XmlRefusal } from './xml-body.ts'

/** An element's content as fast-xml-parser gives it: text, child elements by local name, or repeats. */
export type XmlNode = string | XmlElement | XmlNode[]
export interface XmlElement {
  [name: string]: XmlNode
}

export type ParsedXml =
  | { ok: true; root: string; element: XmlNode }
  | (XmlRefusal & { errors?: FieldError[] })

/** A DecMessage is four levels deep; anything past 32 is not a declaration (dec-message.md §6). */
export const MAX_XML_DEPTH = 32

// No DTD is ever read: a DOCTYPE or ENTITY declaration is refused before the parser sees the text, and the
// entity decoder below knows XML's five predefined entities and character references only — it throws if
// the parser ever offers it a declared entity. Namespace prefixes are dropped: elements are matched by
// local name. The ordered output is a third cheaper to build than fast-xml-parser's object form
// (measured); toNode() folds it.
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', apos: "'", quot: '"' }
const REFERENCE_IN_TEXT = /&(?:(amp|lt|gt|apos|quot)|#([0-9]+)|#x([0-9a-fA-F]+));/g

class BadReference extends Error {
  constructor(readonly reference: string) {
    super(`the character reference ${reference} names no XML character`)
  }
}

const entityDecoder = {
  decode(text: string): string {
    if (!text.includes('&')) return text
    return text.replace(REFERENCE_IN_TEXT, (ref, name: string | undefined, dec?: string, hex?: string) => {
      if (name) return PREDEFINED[name]!
      const code = dec ? Number(dec) : Number.parseInt(hex!, 16)
      if (!isXmlChar(code)) throw new BadReference(ref)
      return String.fromCodePoint(code)
    })
  },
  addInputEntities(): void {
    throw new Error('entity declarations are not accepted')
  },
  setExternalEntities(): void {
    throw new Error('entity declarations are not accepted')
  },
  reset(): void {},
  setXmlVersion(): void {},
}

/** XML 1.0 §2.2 Char. */
function isXmlChar(c: number): boolean {
  return (
    c === 0x9 ||
    c === 0xa ||
    c === 0xd ||
    (c >= 0x20 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd) ||
    (c >= 0x10000 && c <= 0x10ffff)
  )
}

const parser = new XMLParser({
  preserveOrder: true,
  jPath: false,
  removeNSPrefix: true,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  entityDecoder,
  // fast-xml-parser refuses an element once more than this many are open above it: the root is depth 1.
  maxNestedTags: MAX_XML_DEPTH - 1,
})

const DTD = /<!(?:DOCTYPE|ENTITY)/i

// Characters XML 1.0 forbids (§2.2), NUL among them, which PostgreSQL could not store either.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters refused
const FORBIDDEN_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/

const AMPERSAND_OR_SECTION = /&|<!\[CDATA\[|<!--/g
const REFERENCE = /(?:amp|lt|gt|apos|quot|#[0-9]+|#x[0-9a-fA-F]+);/y

/**
 * Where an `&` outside CDATA and comments does not start a predefined entity or a character reference,
 * or -1. Without a DTD every other entity is undeclared, which XML makes a fatal error (fast-xml-parser
 * would keep it as text). One pass: sections are skipped with indexOf, never re-scanned.
 */
function undeclaredReference(text: string): number {
  AMPERSAND_OR_SECTION.lastIndex = 0
  for (let m = AMPERSAND_OR_SECTION.exec(text); m; m = AMPERSAND_OR_SECTION.exec(text)) {
    if (m[0] === '&') {
      REFERENCE.lastIndex = m.index + 1
      if (!REFERENCE.test(text)) return m.index
      continue
    }
    const end = text.indexOf(m[0] === '<!--' ? '-->' : ']]>', AMPERSAND_OR_SECTION.lastIndex)
    if (end === -1) return -1 // unterminated: the validator names it
    AMPERSAND_OR_SECTION.lastIndex = end + 3
  }
  return -1
}

/** Parses a decoded XML body; refuses DTDs, malformed text and deep nesting without ever building them. */
export function parseXml(decoded: string): ParsedXml {
  const text = decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded
  const dtd = DTD.exec(text)
  if (dtd)
    return {
      status: 400,
      code: 'XML_DTD_FORBIDDEN',
      detail: `document type and entity declarations are not accepted (${dtd[0]} at ${lineAndColumn(text, dtd.index)})`,
    }
  const forbidden = FORBIDDEN_CHARACTER.exec(text)
  if (forbidden)
    return malformed(
      `character U+${forbidden[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML at ${lineAndColumn(text, forbidden.index)}`,
    )
  const ampersand = text.includes('&') ? undeclaredReference(text) : -1
  if (ampersand >= 0)
    return malformed(
      `"&" must start &amp; &lt; &gt; &apos; &quot; or a character reference at ${lineAndColumn(text, ampersand)}`,
    )
  let ordered: OrderedNode[]
  try {
    // The parser runs first because it stops at the first element past MAX_XML_DEPTH; the validator
    // walks the whole text and would spend its time on a hostile nesting before refusing it.
    ordered = parser.parse(text) as OrderedNode[]
  } catch (err) {
    if (err instanceof Error && /nested tags/i.test(err.message))
      return {
        status: 422,
        code: 'VALIDATION_FAILED',
        detail: `elements nest deeper than ${MAX_XML_DEPTH} levels`,
        errors: [
          {
            path: '/',
            code: 'NESTING_TOO_DEEP',
            message: `elements nest deeper than ${MAX_XML_DEPTH} levels`,
          },
        ],
      }
    if (err instanceof BadReference)
      return malformed(`${err.message} at ${lineAndColumn(text, text.indexOf(err.reference))}`)
    return malformed(wellFormedness(text) ?? (err instanceof Error ? err.message : String(err)))
  }
  const problem = wellFormedness(text)
  if (problem) return malformed(problem)
  const roots = ordered.flatMap((node) => Object.keys(node).filter((k) => k !== '#text' && k !== ':@'))
  if (roots.length !== 1)
    return malformed(
      roots.length === 0 ? 'the document has no element' : 'the document has more than one root element',
    )
  const root = roots[0]!
  const rootNode = ordered.find((node) => Object.hasOwn(node, root))!
  return { ok: true, root, element: toNode(rootNode[root] as OrderedNode[]) }
}

/** fast-xml-parser's ordered form: each node is `{ name: children }` or `{ '#text': text }`. */
type OrderedNode = Record<string, OrderedNode[] | string>

/** An element's content: its text when it has no child elements, else its children by name (repeats as arrays). */
function toNode(children: OrderedNode[]): XmlNode {
  let text = ''
  let element: XmlElement | null = null
  for (const node of children)
    for (const name in node) {
      const value = node[name]!
      if (name === '#text') text += value as string
      else if (name !== ':@') {
        element ??= Object.create(null) as XmlElement
        const content = toNode(value as OrderedNode[])
        const previous = element[name]
        if (previous === undefined) element[name] = content
        else if (Array.isArray(previous)) previous.push(content)
        else element[name] = [previous, content]
      }
    }
  return element ?? text
}

/** fast-xml-parser's validator: tag balance, attributes, characters, with line and column. */
function wellFormedness(text: string): string | null {
  const result = XMLValidator.validate(text, { allowBooleanAttributes: false })
  if (result === true) return null
  const { msg, line, col } = result.err
  return col === undefined ? `${msg} (line ${line})` : `${msg} (line ${line}, column ${col})`
}

function malformed(detail: string): XmlRefusal {
  return { status: 400, code: 'XML_MALFORMED', detail: `the body is not well-formed XML: ${detail}` }
}
