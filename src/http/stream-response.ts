import type { OutgoingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** The span over which a stream's minimum throughput is judged. */
export const THROUGHPUT_WINDOW_MS = 10_000

/**
 * Streams a long body straight to the socket with backpressure. With `reply.send(stream)` the heap
 * grew with the size of an audit export until the process ran out of memory (fastify 5.x, measured with
 * a 600 MB export under --max-old-space-size=80); piping to the raw response keeps it flat. The first
 * chunk is read before anything is sent, so a database that is down still gets a 503 problem+json.
 * Headers already set on the reply (request id, rate limit, content-disposition) are carried over.
 */
export async function streamBody(
  request: FastifyRequest,
  reply: FastifyReply,
  contentType: string,
  body: AsyncIterable<string | Uint8Array>,
  /** Cut the stream when the client takes less than this many bytes per second over THROUGHPUT_WINDOW_MS. */
  minBytesPerSecond = 0,
): Promise<void> {
  const chunks = body[Symbol.asyncIterator]()
  const first = await chunks.next()
  reply.hijack()
  const headers: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(reply.getHeaders()))
    if (value !== undefined) headers[name] = value
  reply.raw.writeHead(200, { ...headers, 'content-type': contentType })
  // No idle-socket timeout (30 s) while streaming: a server busy with other long reads may write nothing
  // for that long; a client too slow to read is cut by the throughput check below instead.
  request.raw.socket?.setTimeout?.(0)
  let sent = 0
  const all = async function* () {
    if (first.done) return
    sent += first.value.length
    yield first.value
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      sent += next.value.length
      yield next.value
    }
  }
  // A client that reads slower than the minimum (or not at all) would hold its export slot, and on
  // PostgreSQL a paused COPY on the export pool, for as long as it likes.
  let checked = 0
  const watchdog =
    minBytesPerSecond > 0
      ? setInterval(() => {
          // Only a client that keeps the socket full is judged: a server slow to produce (busy, or a long
          // filter) is not the client's fault.
          const waitingOnClient = reply.raw.writableNeedDrain
          if (waitingOnClient && sent - checked < (minBytesPerSecond * THROUGHPUT_WINDOW_MS) / 1000) {
            request.log.warn({ sent }, 'streamed response cut: client reads too slowly')
            reply.raw.destroy()
          }
          checked = sent
        }, THROUGHPUT_WINDOW_MS).unref()
      : null
  pipeline(Readable.from(all(), { objectMode: false }), reply.raw)
    .catch((err) => {
      // Headers are gone; all that is left is to cut the connection so the client sees a truncated body.
      request.log.error({ err }, 'streamed response failed')
      reply.raw.destroy(err)
    })
    // A client that went away ends the pipeline early; the body must still be closed, or a source that
    // holds a database connection (a COPY) would keep it for good.
    .finally(() => {
      if (watchdog) clearInterval(watchdog)
      return chunks.return?.()
    })
}
