import { SaxesParser } from 'saxes'
import type { FieldError } from './validation-errors.ts'
import { lineAndColumn, type XmlRefusal } from './xml-body.ts'

/** An element's content: text, child elements by local name, or repeats. */
export type XmlNode = string | XmlElement | XmlNode[]
export interface XmlElement {
  [name: string]: XmlNode
}

export type ParsedXml =
  | { ok: true; root: string; element: XmlNode }
  | (XmlRefusal & { errors?: FieldError[] })

/** A DecMessage is four levels deep; anything past 32 is not a declaration (dec-message.md §6). */
export const MAX_XML_DEPTH = 32

// saxes is a conformant, non-validating streaming parser: it checks well-formedness in the same single pass
// that builds the tree (fast-xml-parser needed a parse and a second validating walk, ~5× the CPU of saxes
// on a 20-line message, measured), and it stops at the first element past MAX_XML_DEPTH without holding
// the rest. It never reads a DTD: a DOCTYPE or ENTITY declaration is refused before it sees the text, and
// it knows XML's five predefined entities and character references only. Namespace prefixes are dropped:
// elements are matched by local name. Attributes are parsed (for well-formedness) and ignored.

const DTD = /<!(?:DOCTYPE|ENTITY)/i

// Characters XML 1.0 forbids (§2.2), NUL among them, which PostgreSQL could not store either.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters refused
const FORBIDDEN_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/

const AMPERSAND_OR_SECTION = /&|<!\[CDATA\[|<!--/g
const REFERENCE = /(?:amp|lt|gt|apos|quot|#[0-9]+|#x[0-9a-fA-F]+);/y

/**
 * Where an `&` outside CDATA and comments does not start a predefined entity or a character reference,
 * or -1. Without a DTD every other entity is undeclared, which XML makes a fatal error; saxes finds a bare
 * `&` only where its entity name runs out, often the end of the document, so this names the place. One pass: sections are skipped with indexOf, never re-scanned.
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
    if (end === -1) return -1 // unterminated: the parser names it
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
  try {
    return readTree(text)
  } catch (err) {
    if (err instanceof TooDeep)
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
    return malformed(err instanceof Error ? located(err.message) : String(err))
  }
}

class TooDeep extends Error {}

/** An element being read: its local name, its text so far, and its child elements once it has one. */
interface OpenElement {
  name: string
  text: string
  element: XmlElement | null
}

/** The document's single root element and its content, or a throw at the first well-formedness error. */
function readTree(text: string): ParsedXml {
  const parser = new SaxesParser({ xmlns: false })
  const open: OpenElement[] = []
  let root: { name: string; content: XmlNode } | null = null
  parser.on('opentag', (tag) => {
    if (open.length >= MAX_XML_DEPTH) throw new TooDeep()
    open.push({ name: tag.name.slice(tag.name.indexOf(':') + 1), text: '', element: null })
  })
  const addText = (chunk: string) => {
    const current = open[open.length - 1]
    if (current) current.text += chunk
  }
  parser.on('text', addText)
  parser.on('cdata', addText)
  parser.on('closetag', () => {
    const closed = open.pop()!
    // An element with child elements is its children; mixed-in text (indentation) is dropped.
    const content: XmlNode = closed.element ?? closed.text.trim()
    const parent = open[open.length - 1]
    if (!parent) {
      root = { name: closed.name, content }
      return
    }
    parent.element ??= Object.create(null) as XmlElement
    const previous = parent.element[closed.name]
    if (previous === undefined) parent.element[closed.name] = content
    else if (Array.isArray(previous)) previous.push(content)
    else parent.element[closed.name] = [previous, content]
  })
  parser.on('error', (err) => {
    throw err
  })
  parser.write(text).close()
  const read = root as { name: string; content: XmlNode } | null
  if (!read) throw new Error('the document has no element')
  return { ok: true, root: read.name, element: read.content }
}

/** saxes writes `line:column: message`; refusals say `message (line L, column C)`, columns from 1. */
function located(message: string): string {
  const m = /^(\d+):(\d+): (.*?)\.?$/s.exec(message)
  if (!m) return message
  const what =
    m[3] === 'documents may contain only one root' ? 'the document has more than one root element' : m[3]
  return `${what} (line ${m[1]}, column ${Number(m[2]) + 1})`
}

function malformed(detail: string): XmlRefusal {
  return { status: 400, code: 'XML_MALFORMED', detail: `the body is not well-formed XML: ${detail}` }
}
