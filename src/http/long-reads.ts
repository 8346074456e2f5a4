import type { FastifyReply } from 'fastify'
import { AppError } from '../services/errors.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Slots for exports, verifications and impact reports (see LongReads). */
    longReads: LongReads
  }
}

/** How long a refused long read is asked to wait before trying again. */
const RETRY_AFTER_SECONDS = 30

/**
 * Long reads (audit exports, verifications, impact reports) at once per instance. They read through
 * their own connection pool (see `Database#exportDb`), sized for this many; one more is refused with
 * 503 and Retry-After rather than queued behind the others.
 */
export class LongReads {
  private running = 0

  constructor(
    readonly max: number,
    /** Streams slower than this are cut (see `streamBody`); 0: never. */
    readonly minBytesPerSecond: number,
  ) {}

  /** Takes a slot for this request until its response closes (sent, failed or abandoned), or throws 503. */
  hold(reply: FastifyReply): void {
    if (this.running >= this.max)
      throw new AppError(
        503,
        'LONG_READS_BUSY',
        `${this.max} exports, verifications or impact reports are running; retry later`,
        { title: 'Service unavailable', headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } },
      )
    this.running++
    reply.raw.once('close', () => this.running--)
  }
}
