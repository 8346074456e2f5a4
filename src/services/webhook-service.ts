import { randomBytes } from 'node:crypto'
import { and, asc, desc, eq, inArray, isNull, lt } from 'drizzle-orm'
import { uuidv7 } from 'uuidv7'
import type { Db } from '../db/client.ts'
import { webhookAttempts, webhookDeliveries, webhookSubscriptions } from '../db/schema.ts'
import type { Principal } from './actor.ts'
import { appendEvents, lockChain } from './audit-log.ts'
import type { CheckpointSigner } from './audit-signer.ts'
import { AppError, notFound } from './errors.ts'
import { type FeedEventType, feedTail } from './event-feed.ts'
import type { WebhookTargets } from './webhook-targets.ts'

export interface WebhookSubscription {
  id: string
  url: string
  events: FeedEventType[]
  organisation: string
  createdAt: string
  createdBy: { keyId: string | null; name: string; role: string }
}

export interface WebhookAttempt {
  attempt: number
  at: string
  durationMs: number
  /** The receiver's HTTP status; null when no answer came (refused connection, timeout). */
  statusCode: number | null
  error: string | null
}

export interface WebhookDelivery {
  id: string
  eventId: string
  eventType: FeedEventType
  status: 'pending' | 'delivered'
  createdAt: string
  deliveredAt: string | null
  /** When the next attempt is due; null once delivered. */
  nextAttemptAt: string | null
  attempts: WebhookAttempt[]
}

/** Subscriptions not deleted. */
const live = isNull(webhookSubscriptions.deletedAt)

/** A subscription's signing secret: 192 random bits, shown once. */
const newSecret = () => `whsec_${randomBytes(24).toString('base64url')}`

function summarize(row: typeof webhookSubscriptions.$inferSelect): WebhookSubscription {
  return {
    id: row.id,
    url: row.url,
    events: row.events as FeedEventType[],
    organisation: row.organisation,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy as WebhookSubscription['createdBy'],
  }
}

/** Webhook subscriptions and their deliveries; the worker (webhook-worker.ts) does the delivering. */
export class WebhookService {
  constructor(
    private readonly db: Db,
    private readonly signer: CheckpointSigner,
    private readonly targets: WebhookTargets,
  ) {}

  /**
   * Subscribes `url` to an organisation's events from now on: the subscription starts at the feed's
   * tail, read under the chain lock, so every event committed after it is delivered and none before.
   * A URL whose host is, or resolves to, an address webhooks may not target is refused (422
   * `WEBHOOK_TARGET_FORBIDDEN`); each delivery checks the address it connects to again.
   */
  async create(
    input: { url: string; events: readonly FeedEventType[]; organisation: string },
    actor: Principal,
    requestId: string | null,
  ): Promise<{ subscription: WebhookSubscription; secret: string }> {
    const refused = await this.targets.refuseUrl(input.url)
    if (refused)
      throw new AppError(422, 'WEBHOOK_TARGET_FORBIDDEN', `the webhook URL may not be a target: ${refused}`, {
        title: 'Webhook target not allowed',
        errors: [{ path: '/url', code: 'TARGET_NOT_ALLOWED', message: refused }],
      })
    const secret = newSecret()
    const events = [...new Set(input.events)]
    const id = uuidv7()
    return this.db.transaction(async (tx) => {
      await lockChain(tx)
      const tail = await feedTail(tx)
      const [row] = await tx
        .insert(webhookSubscriptions)
        .values({
          id,
          url: input.url,
          events,
          organisation: input.organisation,
          secret,
          createdBy: { keyId: actor.keyId, name: actor.name, role: actor.role },
          afterSequence: tail.sequence,
          afterOrdinal: tail.ordinal,
        })
        .returning()
      await appendEvents(
        tx,
        [
          {
            action: 'webhook.created',
            actor,
            subject: { webhookId: id },
            requestId,
            payload: { url: input.url, events, organisation: input.organisation },
          },
        ],
        this.signer,
      )
      return { subscription: summarize(row!), secret }
    })
  }

  async list(): Promise<WebhookSubscription[]> {
    const rows = await this.db
      .select()
      .from(webhookSubscriptions)
      .where(live)
      .orderBy(asc(webhookSubscriptions.id))
    return rows.map(summarize)
  }

  async get(id: string): Promise<WebhookSubscription> {
    const [row] = await this.db
      .select()
      .from(webhookSubscriptions)
      .where(and(eq(webhookSubscriptions.id, id), live))
    if (!row) throw notFound(`webhook ${id}`)
    return summarize(row)
  }

  /**
   * Stops deliveries at once (a send in flight may finish, but nothing more is recorded or sent) and
   * forgets the subscription: the API answers 404 for it and its deliveries from then on. The rows stay,
   * marked, with the secret wiped: the service's database role may not DELETE (src/db/service-role.ts).
   */
  async delete(id: string, actor: Principal, requestId: string | null): Promise<WebhookSubscription> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .update(webhookSubscriptions)
        .set({ deletedAt: new Date(), secret: '', leaseToken: null, leaseUntil: null })
        .where(and(eq(webhookSubscriptions.id, id), live))
        .returning()
      if (!row) throw notFound(`webhook ${id}`)
      await appendEvents(
        tx,
        [
          {
            action: 'webhook.deleted',
            actor,
            subject: { webhookId: id },
            requestId,
            payload: { url: row.url, events: row.events, organisation: row.organisation },
          },
        ],
        this.signer,
      )
      return summarize(row)
    })
  }

  /** A subscription's deliveries, newest first, each with every attempt. */
  async deliveries(
    id: string,
    { cursor, limit }: { cursor?: string | undefined; limit: number },
  ): Promise<{ items: WebhookDelivery[]; nextCursor: string | null }> {
    await this.get(id)
    const rows = await this.db
      .select()
      .from(webhookDeliveries)
      .where(
        and(eq(webhookDeliveries.subscriptionId, id), cursor ? lt(webhookDeliveries.id, cursor) : undefined),
      )
      .orderBy(desc(webhookDeliveries.id))
      .limit(limit + 1)
    const page = rows.slice(0, limit)
    const attempts =
      page.length === 0
        ? []
        : await this.db
            .select()
            .from(webhookAttempts)
            .where(
              inArray(
                webhookAttempts.deliveryId,
                page.map((d) => d.id),
              ),
            )
            .orderBy(asc(webhookAttempts.attempt))
    return {
      items: page.map((d) => ({
        id: d.id,
        eventId: d.eventId,
        eventType: d.eventType as FeedEventType,
        status: d.status as WebhookDelivery['status'],
        createdAt: d.createdAt.toISOString(),
        deliveredAt: d.deliveredAt?.toISOString() ?? null,
        nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
        attempts: attempts
          .filter((a) => a.deliveryId === d.id)
          .map((a) => ({
            attempt: a.attempt,
            at: a.at.toISOString(),
            durationMs: a.durationMs,
            statusCode: a.statusCode,
            error: a.error,
          })),
      })),
      nextCursor: rows.length > limit ? page[page.length - 1]!.id : null,
    }
  }
}
