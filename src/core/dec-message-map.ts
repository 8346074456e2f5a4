import type { XmlElement, XmlNode } from './dec-message-parse.ts'
import { type Extracted, extractDeclarationElements } from './declaration-elements.ts'
import { parseHsCode } from './hs.ts'
import type { ScreeningRequest } from './screening-request.ts'
import type { FieldError } from './validation-errors.ts'

/**
 * A parsed DecMessage as a screening request (dec-message.md §4). Fields are read by local name, as the
 * format spells them; every problem is collected with its element path (`/DecMessage/DecLists/DecList[3]/CodeTS`)
 * so one 422 names them all.
 */
export interface MappedDecMessage {
  request: ScreeningRequest
  /** What was read from each line's GModel and Stuff, in the order of `request.lines`. */
  extracted: Extracted[]
}

export type MapResult = ({ ok: true } & MappedDecMessage) | { ok: false; errors: FieldError[] }

/** A declaration has at most 50 goods lines. */
export const MAX_DEC_LINES = 50

const ROOT = '/DecMessage'

export function mapDecMessage(rootName: string, root: XmlNode): MapResult {
  const errors: FieldError[] = []
  if (rootName !== 'DecMessage')
    return {
      ok: false,
      errors: [
        {
          path: ROOT,
          code: 'NOT_DECMESSAGE',
          message: `the root element is ${rootName}; expected DecMessage`,
        },
      ],
    }
  const message = asElement(root)
  const head = single(message, 'DecHead', ROOT, errors)
  const lists = single(message, 'DecLists', ROOT, errors)
  const listNodes = lists ? many(lists, 'DecList') : []
  if (!head && !errors.some((e) => e.path.startsWith(`${ROOT}/DecHead`)))
    errors.push(required(`${ROOT}/DecHead`, 'DecHead'))
  if (listNodes.length === 0) errors.push(required(`${ROOT}/DecLists/DecList`, 'at least one DecList'))
  if (listNodes.length > MAX_DEC_LINES)
    errors.push({
      path: `${ROOT}/DecLists/DecList[${MAX_DEC_LINES + 1}]`,
      code: 'TOO_MANY_LINES',
      message: `the message has ${listNodes.length} DecList elements; a declaration has at most ${MAX_DEC_LINES}`,
    })
  if (!head || listNodes.length === 0 || listNodes.length > MAX_DEC_LINES) return { ok: false, errors }

  const headPath = `${ROOT}/DecHead`
  const field = (name: string) => textOf(head, name, headPath, errors)
  const sign = single(message, 'DecSign', ROOT, errors)
  const entryId = field('EntryId')
  const seqNo = field('SeqNo')
  const clientSeqNo = sign ? textOf(sign, 'ClientSeqNo', `${ROOT}/DecSign`, errors) : undefined
  const id = entryId || seqNo || clientSeqNo
  if (!id) errors.push(required(`${headPath}/EntryId`, 'an id: EntryId, SeqNo or DecSign/ClientSeqNo'))
  else if (id.length > 64)
    errors.push({
      path: `${headPath}/${entryId ? 'EntryId' : seqNo ? 'SeqNo' : 'ClientSeqNo'}`,
      code: 'TOO_BIG',
      message: 'the declaration id has more than 64 characters',
    })

  const ieFlag = field('IEFlag')
  const direction = ieFlag === 'I' ? 'import' : ieFlag === 'E' ? 'export' : undefined
  if (!direction)
    errors.push(
      ieFlag
        ? { path: `${headPath}/IEFlag`, code: 'INVALID_VALUE', message: `IEFlag "${ieFlag}" is not I or E` }
        : required(`${headPath}/IEFlag`, 'IEFlag (I import, E export)'),
    )

  const ieDate = field('IEDate')
  const date = ieDate ? isoDate(ieDate) : undefined
  if (ieDate && !date)
    errors.push({
      path: `${headPath}/IEDate`,
      code: 'INVALID_DATE',
      message: `IEDate "${ieDate}" is not a real date written yyyyMMdd between 1900 and 2100`,
    })

  const declarant = field('TradeCoScc') || field('TradeName')
  const tradeCountry = field('TradeCountry')
  const customsOffice = field('CustomMaster')
  if (customsOffice && !/^\d{4}$/.test(customsOffice))
    errors.push({
      path: `${headPath}/CustomMaster`,
      code: 'INVALID_FORMAT',
      message: `CustomMaster "${customsOffice}" is not a 4-digit customs office code`,
    })

  const seenLineNo = new Map<number, number>()
  const lines: ScreeningRequest['lines'] = []
  const extracted: Extracted[] = []
  listNodes.forEach((node, i) => {
    const path = `${ROOT}/DecLists/DecList[${i + 1}]`
    if (typeof node !== 'object' || Array.isArray(node)) {
      errors.push({ path, code: 'INVALID_TYPE', message: 'DecList holds no elements' })
      return
    }
    const value = (name: string) => textOf(node, name, path, errors)
    const lineNo = lineNumber(value('GNo'), `${path}/GNo`, errors)
    if (lineNo !== undefined) {
      const first = seenLineNo.get(lineNo)
      if (first !== undefined)
        errors.push({
          path: `${path}/GNo`,
          code: 'DUPLICATE_LINE_NO',
          message: `GNo ${lineNo} repeats ${ROOT}/DecLists/DecList[${first}]/GNo`,
        })
      else seenLineNo.set(lineNo, i + 1)
    }
    const hsCode = commodityCode(value('CodeTS'), value('CiqCode'), `${path}/CodeTS`, errors)
    const gModel = value('GModel')
    const stuff = value('Stuff')
    const read = extractDeclarationElements(gModel, stuff)
    const description = [value('GName'), value('DeclGoodsEname'), gModel, stuff].filter(Boolean).join(' ')
    const quantity = quantityOf(value, path, errors)
    const declaredValue = declaredValueOf(value, path, errors)
    if (lineNo === undefined || hsCode === undefined) return
    lines.push({
      lineNo,
      hsCode,
      casNumbers: read.casNumbers,
      ...(description ? { description } : {}),
      // The message carries no laboratory-purpose flag; an officer resolves lab cases in review.
      purpose: 'commercial',
      components: read.components,
      ...(quantity ? { quantity } : {}),
      ...(declaredValue ? { declaredValue } : {}),
    })
    extracted.push(read)
  })

  if (errors.length > 0) return { ok: false, errors }
  return {
    ok: true,
    request: {
      declaration: {
        id: id!,
        direction: direction!,
        ...(date ? { date } : {}),
        ...(declarant ? { declarant } : {}),
        ...(tradeCountry ? { tradeCountry } : {}),
        ...(customsOffice ? { customsOffice } : {}),
      },
      lines,
    },
    extracted,
  }
}

function asElement(node: XmlNode): XmlElement {
  return typeof node === 'object' && !Array.isArray(node) ? node : {}
}

function child(parent: XmlElement, name: string): XmlNode | undefined {
  return Object.hasOwn(parent, name) ? parent[name] : undefined
}

function many(parent: XmlElement, name: string): XmlNode[] {
  const node = child(parent, name)
  return node === undefined ? [] : Array.isArray(node) ? node : [node]
}

/** An element that must occur at most once and hold elements. */
function single(
  parent: XmlElement,
  name: string,
  path: string,
  errors: FieldError[],
): XmlElement | undefined {
  const node = child(parent, name)
  if (node === undefined) return undefined
  if (Array.isArray(node)) {
    errors.push({
      path: `${path}/${name}[2]`,
      code: 'DUPLICATE_ELEMENT',
      message: `${name} occurs more than once`,
    })
    return undefined
  }
  // An empty element (`<DecLists/>`) holds no children.
  return typeof node === 'string' ? {} : node
}

/** The trimmed text of an element that must occur at most once and hold only text; '' when empty. */
function textOf(parent: XmlElement, name: string, path: string, errors: FieldError[]): string | undefined {
  const node = child(parent, name)
  if (node === undefined || typeof node === 'string') return node
  if (Array.isArray(node))
    errors.push({
      path: `${path}/${name}[2]`,
      code: 'DUPLICATE_ELEMENT',
      message: `${name} occurs more than once`,
    })
  else
    errors.push({
      path: `${path}/${name}`,
      code: 'INVALID_TYPE',
      message: `${name} holds elements; text expected`,
    })
  return undefined
}

function required(path: string, what: string): FieldError {
  return { path, code: 'REQUIRED', message: `${what} is required` }
}

function lineNumber(text: string | undefined, path: string, errors: FieldError[]): number | undefined {
  if (!text) {
    errors.push(required(path, 'GNo'))
    return undefined
  }
  if (!/^\d{1,6}$/.test(text)) {
    errors.push({ path, code: 'INVALID_FORMAT', message: `GNo "${text}" is not an integer` })
    return undefined
  }
  const n = Number(text)
  if (n < 1 || n > MAX_DEC_LINES) {
    errors.push({ path, code: 'OUT_OF_RANGE', message: `GNo ${n} is outside 1–${MAX_DEC_LINES}` })
    return undefined
  }
  return n
}

/** `CodeTS` as 10 digits, followed by `CiqCode` when that is 3 digits. */
function commodityCode(
  codeTs: string | undefined,
  ciqCode: string | undefined,
  path: string,
  errors: FieldError[],
): string | undefined {
  if (!codeTs) {
    errors.push(required(path, 'CodeTS'))
    return undefined
  }
  const digits = codeTs.replace(/[.\s-]/g, '')
  if (!/^\d{10}$/.test(digits)) {
    errors.push({ path, code: 'HS_FORMAT', message: `CodeTS "${codeTs}" is not a 10-digit commodity code` })
    return undefined
  }
  const code = ciqCode && /^\d{3}$/.test(ciqCode) ? digits + ciqCode : digits
  const parsed = parseHsCode(code)
  if (!parsed.ok) {
    errors.push({ path, code: parsed.code, message: parsed.message })
    return undefined
  }
  return parsed.digits
}

const DECIMAL = /^\d{1,15}(?:\.\d{1,9})?$/
const UNIT_CODE = /^\d{3}$/

/**
 * The line's amount (contract §8): 法定第一数量 `FirstQty`/`FirstUnit`, else the declared `GQty`/`GUnit`
 * (a pair counts when both are written and the quantity is not 0). Units stay as declared.
 */
function quantityOf(
  value: (name: string) => string | undefined,
  path: string,
  errors: FieldError[],
): { value: number; unit: string } | undefined {
  for (const [qty, unit] of [
    ['FirstQty', 'FirstUnit'],
    ['GQty', 'GUnit'],
  ] as const) {
    const amount = value(qty)
    const code = value(unit)
    if (!amount || !code || (DECIMAL.test(amount) && Number(amount) === 0)) continue
    if (!DECIMAL.test(amount)) {
      errors.push({
        path: `${path}/${qty}`,
        code: 'INVALID_FORMAT',
        message: `${qty} "${amount}" is not a decimal`,
      })
      return undefined
    }
    if (!UNIT_CODE.test(code)) {
      errors.push({
        path: `${path}/${unit}`,
        code: 'INVALID_FORMAT',
        message: `${unit} "${code}" is not a 3-digit unit code`,
      })
      return undefined
    }
    return { value: Number(amount), unit: code }
  }
  return undefined
}

/** `DeclTotal` in `TradeCurr` (letters, or an older numeric code kept as given), when both are written. */
function declaredValueOf(
  value: (name: string) => string | undefined,
  path: string,
  errors: FieldError[],
): { amount: number; currency: string } | undefined {
  const total = value('DeclTotal')
  const currency = value('TradeCurr')
  if (!total || !currency) return undefined
  if (!DECIMAL.test(total)) {
    errors.push({
      path: `${path}/DeclTotal`,
      code: 'INVALID_FORMAT',
      message: `DeclTotal "${total}" is not a decimal`,
    })
    return undefined
  }
  if (!/^(?:[A-Z]{3}|\d{3})$/.test(currency)) {
    errors.push({
      path: `${path}/TradeCurr`,
      code: 'INVALID_FORMAT',
      message: `TradeCurr "${currency}" is not an ISO 4217 code (USD) or a 3-digit numeric code`,
    })
    return undefined
  }
  return { amount: Number(total), currency }
}

/** `yyyyMMdd` → `yyyy-MM-dd` when it is a real date in 1900–2100. */
function isoDate(text: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(text)
  if (!m) return undefined
  const [, y, mo, d] = m as unknown as [string, string, string, string]
  const year = Number(y)
  if (year < 1900 || year > 2100) return undefined
  const iso = `${y}-${mo}-${d}`
  const parsed = new Date(`${iso}T00:00:00Z`)
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(iso) ? iso : undefined
}
