import pg from 'pg'

/**
 * Errors raised while opening a connection, whatever they say, mean that the database cannot serve now:
 * refused (`ALLOW_CONNECTIONS false` answers SQLSTATE 55000, a dropped database 3D000, too many clients
 * 53300), unreachable, or failed authentication. A query that fails on an open connection is another
 * matter (a bug, a constraint), so the difference is recorded where it is known: at connect.
 */
const CONNECT_FAILED = Symbol.for('popscreen.connectFailed')

function markConnectFailure<E>(err: E): E {
  if (err && typeof err === 'object') (err as Record<symbol, unknown>)[CONNECT_FAILED] = true
  return err
}

export function isConnectFailure(err: unknown): boolean {
  return Boolean(err && typeof err === 'object' && (err as Record<symbol, unknown>)[CONNECT_FAILED])
}

type ConnectCallback = (err: Error | null, client?: pg.Client) => void

/** pg's Client whose connect errors are marked; the pools are given it as their `Client`. */
export class MarkingClient extends pg.Client {
  override connect(): Promise<pg.Client>
  override connect(callback: ConnectCallback): void
  override connect(callback?: ConnectCallback): Promise<pg.Client> | undefined {
    if (callback) {
      super.connect(((err: Error | null) =>
        err ? callback(markConnectFailure(err)) : callback(null, this)) as never)
      return undefined
    }
    return super.connect().catch((err: unknown) => {
      throw markConnectFailure(err)
    })
  }
}
