import crypto from 'node:crypto'
import { type MappedDecMessage, mapDecMessage } from './dec-message-map.ts'
import { parseXml } from './dec-message-parse.ts'
import type { FieldError } from './validation-errors.ts'
import { decodeXmlBody, type XmlEncoding, type XmlRefusal } from './xml-body.ts'

/**
 * The Single Window declaration message as popscreen receives it (screening contract §7): bytes in, either
 * a screening request with what was read from each line, or the refusal dec-message.md §6 names.
 */

/** The message exactly as received, kept in the audit event beside the request mapped from it. */
export interface ReceivedMessage {
  /** `DecMessage` (the only format read so far). */
  format: 'DecMessage'
  /** The encoding the body was read with; `text` encoded with it gives back the received bytes. */
  encoding: XmlEncoding
  /** `sha256:` + hex of the received bytes. */
  sha256: string
  text: string
}

export type DecMessageRead =
  | ({ ok: true; message: ReceivedMessage } & MappedDecMessage)
  | (XmlRefusal & { ok: false; errors?: FieldError[] })

export function readDecMessage(body: Uint8Array, charset: string | undefined): DecMessageRead {
  const decoded = decodeXmlBody(body, charset)
  if (!('ok' in decoded)) return { ok: false, ...decoded }
  const parsed = parseXml(decoded.text)
  if (!('ok' in parsed)) return { ok: false, ...parsed }
  const mapped = mapDecMessage(parsed.root, parsed.element)
  if (!mapped.ok)
    return {
      ok: false,
      status: 422,
      code: 'VALIDATION_FAILED',
      detail: 'the DecMessage has invalid or missing elements',
      errors: mapped.errors,
    }
  return {
    ok: true,
    request: mapped.request,
    extracted: mapped.extracted,
    message: {
      format: 'DecMessage',
      encoding: decoded.encoding,
      sha256: `sha256:${crypto.hash('sha256', body, 'hex')}`,
      text: decoded.text,
    },
  }
}
