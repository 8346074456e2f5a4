import type { AddressInfo } from 'node:net'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DISCARD_FACTOR } from '../../src/http/discard-body.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

/**
 * A body over the limit is read and dropped (bodies up to DISCARD_FACTOR times the route's limit) before
 * the 413 is sent, so a client that writes its whole body before reading the answer reads a 413
 * problem+json instead of a broken pipe.
 *
 * The client is HTTP/1.1 written by hand on a socket that reads nothing until the body is written, as
 * Python's http.client or curl without Expect do: node:http's own client reads the answer while it is
 * still writing, and so never sees the fault. On loopback the kernel buffers absorb about 2–3 MiB, so the
 * fault showed from 4 MiB (3.5 × a 1 MiB limit) on.
 */

const LIMIT = 1_048_576
let t: TestApp
let port: number
let authorization: string

beforeAll(async () => {
  t = await createTestApp({ BODY_LIMIT_BYTES: String(LIMIT) })
  authorization = (await t.auth('screener')).authorization!
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  port = (t.app.server.address() as AddressInfo).port
})
afterAll(() => t.close())

interface Outcome {
  /** The status line, the headers and the body, as read. */
  status?: number
  headers?: string
  body?: string
  /** A socket error (EPIPE, ECONNRESET) or the connection closed before a whole answer. */
  error?: string
}

/**
 * POSTs `size` bytes to /v1/screenings on `socket` (a new connection when absent), reading nothing until
 * the whole body is written; then reads one answer.
 */
async function post(
  size: number,
  { chunked = false, socket }: { chunked?: boolean; socket?: net.Socket } = {},
) {
  const s = socket ?? net.connect(port, '127.0.0.1')
  s.pause()
  if (!socket) await new Promise((resolve, reject) => s.once('connect', resolve).once('error', reject))
  return new Promise<Outcome>((resolve) => {
    let received = Buffer.alloc(0)
    const done = (o: Outcome) => {
      s.off('data', onData)
      s.off('end', onEnd)
      s.off('error', onError)
      resolve(o)
    }
    const onError = (err: NodeJS.ErrnoException) => done({ error: err.code ?? err.message })
    const onEnd = () => done({ error: `connection closed after ${received.length} bytes of answer` })
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      const text = received.toString('utf8')
      const headEnd = text.indexOf('\r\n\r\n')
      if (headEnd < 0) return
      const headers = text.slice(0, headEnd)
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(headers)?.[1])
      const body = text.slice(headEnd + 4)
      if (Buffer.byteLength(body) < length) return
      done({ status: Number(headers.split(' ')[1]), headers, body })
    }
    s.on('error', onError)
    const head =
      'POST /v1/screenings HTTP/1.1\r\nhost: 127.0.0.1\r\n' +
      `authorization: ${authorization}\r\ncontent-type: application/json\r\n` +
      (chunked ? 'transfer-encoding: chunked\r\n' : `content-length: ${size}\r\n`) +
      '\r\n'
    const piece = Buffer.alloc(64 * 1024, 'x')
    piece.write('{"pad":"')
    const write = async () => {
      s.write(head)
      for (let sent = 0; sent < size; ) {
        const n = Math.min(piece.length, size - sent)
        sent += n
        const data = chunked
          ? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), piece.subarray(0, n), Buffer.from('\r\n')])
          : piece.subarray(0, n)
        if (!s.write(data)) await new Promise((r) => s.once('drain', r).once('close', r))
        if (s.destroyed) return
      }
      if (chunked) s.write('0\r\n\r\n')
      // Only now read the answer, as a client that sends before it receives.
      s.on('data', onData)
      s.on('end', onEnd)
      s.resume()
    }
    void write()
  }).finally(() => {
    if (!socket) s.destroy()
  })
}

function expectReadable413(o: Outcome) {
  expect(o.error, JSON.stringify(o).slice(0, 500)).toBeUndefined()
  expect(o.status).toBe(413)
  expect(o.headers).toMatch(/\r\ncontent-type: application\/problem\+json/i)
  expect(JSON.parse(o.body!)).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' })
}

describe('a body over the limit', () => {
  it('is answered 413 problem+json that a client writing its whole body first can read (Content-Length)', async () => {
    for (const size of [LIMIT + 1, 2 * LIMIT, 3.5 * LIMIT, DISCARD_FACTOR * LIMIT])
      expectReadable413(await post(size))
  })

  it('is answered the same when sent chunked, without Content-Length', async () => {
    for (const size of [LIMIT + 64 * 1024, DISCARD_FACTOR * LIMIT])
      expectReadable413(await post(size, { chunked: true }))
  })

  it('leaves the connection usable once the body was read', async () => {
    const socket = net.connect(port, '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    try {
      const first = await post(2 * LIMIT, { socket })
      expectReadable413(first)
      expect(first.headers).not.toMatch(/\r\nconnection: close/i)
      expectReadable413(await post(2 * LIMIT, { socket }))
    } finally {
      socket.destroy()
    }
  })

  it('beyond the bound it is refused at once and the connection may be cut; the server is unharmed', async () => {
    const o = await post(4 * DISCARD_FACTOR * LIMIT)
    if (o.error === undefined) expect(o.status).toBe(413)
    else expect(o.error).toMatch(/EPIPE|ECONNRESET|connection closed/)
    expectReadable413(await post(LIMIT + 1))
  })
})
