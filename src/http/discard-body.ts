import type { IncomingMessage } from 'node:http'

/**
 * How much of a body over the limit is read and dropped before the 413 is sent: bodies up to this many
 * times the route's limit (4 MiB by default, 64 MiB on the 16 MiB registry import).
 *
 * Why read it at all: answering at once and closing the connection left the client's rest of the body in
 * the server's receive buffer, the kernel answered it with a reset, and a client that writes its whole
 * body before reading (most do) saw EPIPE or ECONNRESET instead of the 413. Why stop somewhere: reading is
 * free only up to a point; a body far over the limit is cut as before.
 */
export const DISCARD_FACTOR = 4
/** A client that stops sending midway is not waited for longer than this. */
export const DISCARD_TIMEOUT_MS = 10_000

/**
 * Reads and drops the rest of a request body. True when the body ended within `bound` bytes (counting the
 * `alreadyRead` bytes before it), so the connection can be kept; false when it is longer, declared longer,
 * too slow or broken, and the connection must close.
 */
export function discardBody(raw: IncomingMessage, bound: number, alreadyRead: number): Promise<boolean> {
  if (raw.readableEnded) return Promise.resolve(true)
  if (Number(raw.headers['content-length']) > bound) return Promise.resolve(false)
  return new Promise((resolve) => {
    let read = alreadyRead
    const finish = (ended: boolean) => {
      clearTimeout(timer)
      raw.off('data', onData)
      raw.off('end', onEnd)
      raw.off('error', onFault)
      raw.off('close', onFault)
      if (!ended) raw.pause()
      resolve(ended)
    }
    const onData = (chunk: Buffer) => {
      read += chunk.length
      if (read > bound) finish(false)
    }
    const onEnd = () => finish(true)
    const onFault = () => finish(false)
    const timer = setTimeout(onFault, DISCARD_TIMEOUT_MS)
    raw.on('data', onData)
    raw.once('end', onEnd)
    raw.once('error', onFault)
    raw.once('close', onFault)
    raw.resume()
  })
}
