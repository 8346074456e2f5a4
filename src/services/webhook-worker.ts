import http from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'
import { eq, sql } from 'drizzle-orm'
import { uuidv7 } from 'uuidv7'
import { retryDelayMs, SIGNATURE_HEADER, signatureHeader } from '../core/webhook-signature.ts'
import { type Db, queryRows, type Tx } from '../db/client.ts'
import { webhookAttempts, webhookDeliveries } from '../db/schema.ts'
import { feedEventOf } from './event-feed.ts'
import { hostOf, TargetRefused, type WebhookTargets } from './webhook-targets.ts'

export interface WebhookWorkerOptions {
  /** How often an idle worker looks for new events and due retries. */
  pollMs: number
  /** The longest wait for a receiver's answer (connection and headers); longer counts as a failure. */
  timeoutMs: number
  /** The first retry's step; each further retry doubles it, up to `retryMaxMs` (see retryDelayMs). */
  retryBaseMs: number
  retryMaxMs: number
  /** Subscriptions worked at once by this instance. */
  concurrency: number
}

export interface WebhookWorkerLog {
  warn(obj: object, msg: string): void
}

/** Deliveries one claim of a subscription may send before it lets the subscription go again. */
const DELIVERIES_PER_CLAIM = 50

interface Claimed {
  id: string
  url: string
  events: string[]
  organisation: string
  secret: string
  afterSequence: number
  afterOrdinal: number
  token: string
}

interface Pending {
  id: string
  eventId: string
  body: string
  attempts: number
  nextAttemptAt: Date
}

interface Outcome {
  at: Date
  durationMs: number
  statusCode: number | null
  error: string | null
}

/** The lease of a claim was lost (it expired and another instance took over, or the webhook was deleted). */
class LeaseLost extends Error {}

/**
 * Delivers feed events to webhook subscriptions, in the server process. All of its state is in the
 * database, so a restart (or another instance) carries on where it stopped:
 * - a subscription's place in the feed (`after_sequence`, `after_ordinal`) and its one pending delivery:
 *   the next event is taken only once the previous one was answered 2xx, which keeps each
 *   subscription's order (at least once: an answer lost after the receiver acted means a repeat);
 * - a lease: an instance claims due subscriptions with `FOR UPDATE SKIP LOCKED` and marks them leased
 *   for longer than a delivery can take, then sends without holding a transaction (so nothing waits on a
 *   receiver: not the pool, not PGlite's one connection, not a screening). Every write after the send is
 *   fenced by the lease token; a lease left by a process that died expires and another instance claims it.
 */
export class WebhookWorker {
  private timer: NodeJS.Timeout | null = null
  private running: Promise<void> | null = null
  private started = false
  private stopping = false
  private again = false
  /** Whether the last poll found any subscription (unknown at first). */
  private subscribed = true
  private readonly aborts = new AbortController()
  private readonly leaseMs: number

  private log: WebhookWorkerLog = { warn: () => {} }
  /** Connections kept open between deliveries; each was checked (`WebhookTargets#lookup`) when it was made. */
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  }

  constructor(
    private readonly db: Db,
    private readonly targets: WebhookTargets,
    private readonly options: WebhookWorkerOptions,
  ) {
    // A claim outlives the sends it makes (one at a time, each bounded by the timeout) by a wide margin.
    this.leaseMs = options.timeoutMs + 60_000
  }

  /** Starts delivering; `log` hears of steps that failed (they are tried again). */
  start(log?: WebhookWorkerLog): void {
    if (this.started || this.stopping) return
    this.started = true
    if (log) this.log = log
    this.schedule(0)
  }

  /** Looks for work now (new events were committed here); a no-op until started. */
  wake(): void {
    if (!this.started || this.stopping || !this.subscribed) return
    if (this.running) this.again = true
    else this.schedule(0)
  }

  /** Stops claiming, cuts sends in flight (their events are sent again later) and waits for the rest. */
  async close(): Promise<void> {
    this.stopping = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.aborts.abort()
    await this.running
    this.agents['http:'].destroy()
    this.agents['https:'].destroy()
  }

  private schedule(ms: number): void {
    if (this.stopping || this.timer) return
    this.timer = setTimeout(() => {
      this.timer = null
      this.running = this.tick().finally(() => {
        this.running = null
        const again = this.again
        this.again = false
        this.schedule(again ? 0 : this.options.pollMs)
      })
    }, ms)
    this.timer.unref()
  }

  /**
   * Claims due subscriptions and works them in parallel; claims again at once while that sent something
   * (a subscription with nothing to send is due again at once too, but is looked at next poll or wake).
   */
  private async tick(): Promise<void> {
    try {
      // Screening commits wake the worker; with no subscription at all, that would be one query more
      // per batch for nothing (one connection on PGlite), so each poll first asks whether there is any.
      const [{ any } = { any: false }] = await queryRows<{ any: boolean }>(
        this.db,
        sql`select exists (select 1 from webhook_subscriptions where deleted_at is null) as any`,
      )
      this.subscribed = any
      if (!any) return
      for (;;) {
        if (this.stopping) return
        const claimed = await this.claim()
        const sent = await Promise.all(claimed.map((s) => this.work(s)))
        if (!sent.includes(true)) return
        // On PGlite every query resolves without a trip through the event loop's timers: let them run.
        await new Promise((resolve) => setImmediate(resolve))
      }
    } catch (err) {
      this.log.warn({ err }, 'webhook worker: claiming failed; trying again later')
    }
  }

  private async claim(): Promise<Claimed[]> {
    const token = uuidv7()
    const rows = await queryRows<Record<string, unknown>>(
      this.db,
      sql`update webhook_subscriptions
        set lease_token = ${token}, lease_until = now() + ${this.leaseMs} * interval '1 millisecond'
        where id in (select id from webhook_subscriptions
          where deleted_at is null and next_run_at <= now()
            and (lease_until is null or lease_until < now())
          order by next_run_at limit ${this.options.concurrency} for update skip locked)
        returning id, url, events, organisation, secret, after_sequence, after_ordinal`,
    )
    return rows.map((r) => ({
      id: String(r.id),
      url: String(r.url),
      events: r.events as string[],
      organisation: String(r.organisation),
      secret: String(r.secret),
      afterSequence: Number(r.after_sequence),
      afterOrdinal: Number(r.after_ordinal),
      token,
    }))
  }

  /**
   * Sends a claimed subscription's deliveries in order until one fails or nothing is left; whether it
   * sent anything.
   */
  private async work(sub: Claimed): Promise<boolean> {
    let sent = 0
    try {
      for (; sent < DELIVERIES_PER_CLAIM && !this.stopping; sent++) {
        const delivery = (await this.pendingDelivery(sub)) ?? (await this.nextDelivery(sub))
        if (!delivery) break
        if (delivery.nextAttemptAt.getTime() > Date.now()) {
          await this.release(sub, delivery.nextAttemptAt)
          return sent > 0
        }
        const outcome = await this.send(sub, delivery)
        // Cut by shutdown: not an attempt of the receiver's; the next claim sends it again.
        if (this.stopping) break
        const retryAt = await this.record(sub, delivery, outcome)
        if (retryAt) {
          await this.release(sub, retryAt)
          return true
        }
      }
      await this.release(sub, null)
      return sent > 0
    } catch (err) {
      if (err instanceof LeaseLost) return sent > 0
      this.log.warn({ err, webhookId: sub.id }, 'webhook worker: a delivery step failed; trying again later')
      // Leaving the lease to expire would stall the subscription for a minute; hand it back instead.
      await this.release(sub, new Date(Date.now() + this.options.pollMs)).catch(() => {})
      return false
    }
  }

  private async pendingDelivery(sub: Claimed): Promise<Pending | null> {
    const [row] = await queryRows<Record<string, unknown>>(
      this.db,
      sql`select id, event_id, body, attempts, next_attempt_at from webhook_deliveries
        where subscription_id = ${sub.id} and status = 'pending' order by id limit 1`,
    )
    return row ? pendingOf(row) : null
  }

  /**
   * Hands the subscription's next event to a new delivery, or, when none of its events is left, moves
   * its place to the feed's tail so the next look starts there. One statement reads both, so they come
   * from one snapshot: an event the tail passes over was visible to it, and so was everything before
   * (the feed's commit order).
   */
  private async nextDelivery(sub: Claimed): Promise<Pending | null> {
    return this.db.transaction(async (tx) => {
      const [row] = await queryRows<Record<string, unknown>>(
        tx,
        sql`select t.audit_sequence as tail_sequence, t.ordinal as tail_ordinal, e.*
          from (select audit_sequence, ordinal from feed_events
                order by audit_sequence desc, ordinal desc limit 1) t
          left join lateral (select * from feed_events f
            where (f.audit_sequence, f.ordinal) > (${sub.afterSequence}, ${sub.afterOrdinal})
              and f.type = any(${sql.param(sub.events)}::text[])
              and (f.organisation = ${sub.organisation} or f.organisation is null)
            order by f.audit_sequence, f.ordinal limit 1) e on true`,
      )
      if (!row) return null
      if (row.audit_sequence === null || row.audit_sequence === undefined) {
        const tail = { sequence: Number(row.tail_sequence), ordinal: Number(row.tail_ordinal) }
        const ahead =
          tail.sequence > sub.afterSequence ||
          (tail.sequence === sub.afterSequence && tail.ordinal > sub.afterOrdinal)
        if (ahead) await this.moveTo(tx, sub, tail.sequence, tail.ordinal)
        return null
      }
      const event = feedEventOf({
        auditSequence: Number(row.audit_sequence),
        ordinal: Number(row.ordinal),
        type: String(row.type),
        at: new Date(row.at as string),
        organisation: row.organisation as string | null,
        screeningId: row.screening_id as string | null,
        declarationId: row.declaration_id as string | null,
        reviewId: row.review_id as string | null,
        decision: row.decision as string | null,
        registryVersion: row.registry_version as string | null,
        rescreenOf: row.rescreen_of as string | null,
      })
      const delivery: Pending = {
        id: uuidv7(),
        eventId: event.id,
        body: JSON.stringify(event),
        attempts: 0,
        nextAttemptAt: new Date(),
      }
      await tx.insert(webhookDeliveries).values({
        id: delivery.id,
        subscriptionId: sub.id,
        eventId: event.id,
        eventType: event.type,
        body: delivery.body,
        nextAttemptAt: delivery.nextAttemptAt,
      })
      await this.moveTo(tx, sub, event.auditSequence, Number(row.ordinal))
      return delivery
    })
  }

  private async moveTo(tx: Tx, sub: Claimed, sequence: number, ordinal: number): Promise<void> {
    await this.fenced(tx, sub, sql`after_sequence = ${sequence}, after_ordinal = ${ordinal}`)
    sub.afterSequence = sequence
    sub.afterOrdinal = ordinal
  }

  /** An update of the claimed subscription that holds only while the claim is still ours. */
  private async fenced(tx: Db | Tx, sub: Claimed, set: ReturnType<typeof sql>): Promise<void> {
    const rows = await queryRows(
      tx,
      sql`update webhook_subscriptions set ${set}
        where id = ${sub.id} and lease_token = ${sub.token} and deleted_at is null returning id`,
    )
    if (rows.length === 0) throw new LeaseLost()
  }

  /**
   * One attempt. The address connected to is checked first (webhook-targets.ts): a literal one here, a
   * name's in the connection's `lookup`, so a name that resolved to a public address at registration and
   * to a private one now is refused without a connection, and recorded as a failed attempt.
   */
  private async send(sub: Claimed, delivery: Pending): Promise<Outcome> {
    const at = new Date()
    const started = performance.now()
    const done = (statusCode: number | null, error: string | null): Outcome => ({
      at,
      durationMs: Math.round(performance.now() - started),
      statusCode,
      error,
    })
    const timeout = AbortSignal.timeout(this.options.timeoutMs)
    try {
      const url = new URL(sub.url)
      const host = hostOf(sub.url)
      const refused = isIP(host) ? this.targets.refuseAddress(host) : null
      if (refused) throw new TargetRefused(`target not allowed: ${refused}`)
      const status = await this.post(url, {
        headers: {
          'content-type': 'application/json',
          'user-agent': 'popscreen-webhooks/1',
          [SIGNATURE_HEADER]: signatureHeader(sub.secret, delivery.body),
          'popscreen-event-id': delivery.eventId,
          'popscreen-delivery-id': delivery.id,
        },
        body: delivery.body,
        signal: AbortSignal.any([timeout, this.aborts.signal]),
      })
      const ok = status >= 200 && status < 300
      return done(status, ok ? null : `answered HTTP ${status}`)
    } catch (err) {
      if (err instanceof TargetRefused) return done(null, err.message)
      if (timeout.aborted) return done(null, `no answer within ${this.options.timeoutMs} ms`)
      const e = err as { code?: string; message?: string }
      return done(null, e.code ?? e.message ?? String(err))
    }
  }

  /**
   * POSTs the body and resolves to the answer's status once its headers came (the body is drained, or cut
   * by the signal). Redirects are not followed: one is an answer that is not 2xx, since following it would
   * send the event somewhere unchecked.
   */
  private post(
    url: URL,
    { headers, body, signal }: { headers: Record<string, string>; body: string; signal: AbortSignal },
  ): Promise<number> {
    const protocol = url.protocol === 'https:' ? 'https:' : 'http:'
    const request = protocol === 'https:' ? https.request : http.request
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          agent: this.agents[protocol],
          lookup: this.targets.lookup,
          signal,
        },
        (response) => {
          response.on('error', () => {})
          response.resume()
          resolve(response.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      req.end(body)
    })
  }

  /** Writes the attempt; the retry time when it failed, null when delivered. */
  private async record(sub: Claimed, delivery: Pending, outcome: Outcome): Promise<Date | null> {
    const attempt = delivery.attempts + 1
    const delivered = outcome.error === null
    const retryAt = delivered
      ? null
      : new Date(Date.now() + retryDelayMs(attempt, this.options.retryBaseMs, this.options.retryMaxMs))
    await this.db.transaction(async (tx) => {
      await this.fenced(tx, sub, sql`next_run_at = ${(retryAt ?? new Date()).toISOString()}`)
      await tx.insert(webhookAttempts).values({ deliveryId: delivery.id, attempt, ...outcome })
      await tx
        .update(webhookDeliveries)
        .set(
          delivered
            ? { status: 'delivered', attempts: attempt, deliveredAt: new Date() }
            : { attempts: attempt, nextAttemptAt: retryAt! },
        )
        .where(eq(webhookDeliveries.id, delivery.id))
    })
    return retryAt
  }

  /** Lets the subscription go, due again at `at` (now when null: new events are looked for next poll). */
  private async release(sub: Claimed, at: Date | null): Promise<void> {
    await this.fenced(
      this.db,
      sub,
      sql`lease_token = null, lease_until = null, next_run_at = ${(at ?? new Date()).toISOString()}`,
    )
  }
}

function pendingOf(row: Record<string, unknown>): Pending {
  return {
    id: String(row.id),
    eventId: String(row.event_id),
    body: String(row.body),
    attempts: Number(row.attempts),
    nextAttemptAt: new Date(row.next_attempt_at as string),
  }
}
