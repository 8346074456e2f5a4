import pg from 'pg'

/** What one channel's subscriber is told. */
export interface ChannelHandlers {
  /** A NOTIFY on the channel, with its payload. */
  onMessage(payload: string): void
  /**
   * The listening connection (re)connected. Notifications sent while it was down are lost, so a cache fed
   * by them must forget what it holds; called after the first connection too.
   */
  onConnect?(): void
}

export interface Listener {
  close(): Promise<void>
}

/** How long to wait before connecting again: doubling from 100 ms, at most 5 s. */
const backoff = (attempt: number) => Math.min(100 * 2 ** attempt, 5_000)

/**
 * LISTENs on `channel` over a connection of its own (a pooled one would hand the LISTEN to whichever query
 * came next, and lose it when the pool closes the client). When the connection breaks it connects again
 * with backoff, for as long as the listener is open.
 */
export async function listen(
  connectionString: string,
  channel: string,
  handlers: ChannelHandlers,
  onError: (err: Error) => void = () => {},
): Promise<Listener> {
  let closed = false
  let client: pg.Client | null = null
  let retry: NodeJS.Timeout | null = null
  let attempt = 0

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString, application_name: 'popscreen-listen' })
    client = c
    c.on('notification', (n) => {
      if (n.channel === channel) handlers.onMessage(n.payload ?? '')
    })
    let reconnecting = false
    const reconnect = (err?: Error) => {
      if (err) onError(err)
      if (closed || reconnecting) return
      reconnecting = true
      c.end().catch(() => {})
      retry = setTimeout(() => {
        retry = null
        connect().catch(() => {})
      }, backoff(attempt++))
      retry.unref()
    }
    c.on('error', reconnect)
    c.on('end', () => reconnect())
    try {
      await c.connect()
      await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`)
    } catch (err) {
      reconnect(err as Error)
      throw err
    }
    attempt = 0
    handlers.onConnect?.()
  }

  try {
    await connect()
  } catch (err) {
    // At start a database that does not answer is the caller's error to report, not one to retry.
    closed = true
    if (retry) clearTimeout(retry)
    throw err
  }
  return {
    close: async () => {
      closed = true
      if (retry) clearTimeout(retry)
      await client?.end().catch(() => {})
    },
  }
}
