import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { findUnstorableText } from '../../core/storable-text.ts'
import { findUtf8Fault, type Utf8Fault } from '../../core/utf8.ts'
import { AppError } from '../../services/errors.ts'
import { RequestValidationError } from './problem-details.ts'

const UTF8 = /^"?utf-?8"?$/i
// XML bodies name their encoding in their XML declaration; their reader checks the charset against it.
const XML = /^\s*(?:application|text)\/xml\s*(?:;|$)/i

/**
 * Bodies are UTF-8 JSON. A declared charset of anything else is refused rather than misread, and text
 * the database cannot store is a 422 naming the field rather than a failed write.
 */
export const requestEncoding = fp(async (app: FastifyInstance) => {
  // JSON is read as bytes and checked before it is decoded: decoding GBK as UTF-8 would turn every Chinese
  // character into U+FFFD, and a description screened that way passes where it should be reviewed.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  // Fastify reads text/plain by default; no route takes plain text, so such a body is 415, not a 422.
  app.removeContentTypeParser('text/plain')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const fault = findUtf8Fault(body as Buffer)
    if (fault) return done(invalidEncoding(fault), undefined)
    parseJson(request, body as unknown as string, done)
  })
  app.addHook('onRequest', async (request) => {
    // Only a body has a charset to refuse: a GET is not read, so a stray header on it changes nothing.
    if (request.method === 'GET' || request.method === 'HEAD') return
    const type = request.headers['content-type']
    if (type && XML.test(type)) return
    const charset = type?.match(/;\s*charset=([^;]*)/i)?.[1]?.trim()
    if (charset !== undefined && !UTF8.test(charset))
      throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', `charset ${charset} is not supported; send UTF-8`, {
        title: 'Unsupported media type',
      })
  })
  app.addHook('preValidation', async (request) => {
    for (const [part, value] of [
      ['querystring', request.query],
      ['body', request.body],
    ] as const) {
      // Raw bodies (a DecMessage's bytes) are checked by their own decoder, not walked byte by byte here.
      if (Buffer.isBuffer(value)) continue
      const errors = findUnstorableText(value)
      if (errors.length > 0) throw new RequestValidationError(errors, part)
    }
  })
})

function invalidEncoding({ offset, byte, truncated }: Utf8Fault): AppError {
  const hex = `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`
  const what = truncated
    ? `a UTF-8 sequence starting with byte ${hex} at offset ${offset} is cut off by the end of the body`
    : `byte ${hex} at offset ${offset} is not valid UTF-8`
  return new AppError(
    400,
    'INVALID_ENCODING',
    `the body is not UTF-8: ${what} (GBK, GB18030 or Latin-1 text?); send the JSON encoded as UTF-8`,
    { title: 'Bad request' },
  )
}
