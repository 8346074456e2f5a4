import { z } from 'zod'
import { parseNetworks } from './services/webhook-targets.ts'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const positiveInt = z.coerce.number().int().positive()

const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Port of the Prometheus listener, apart from the API's (/metrics is not authenticated); 0: any free port. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Its bind address: loopback unless a scraper on another host needs it. */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  /**
   * The role that owns the tables, for migrations only; DATABASE_URL may then be a role that reads and adds
   * rows but cannot change the audit trail (README, Security). Unset: migrations run as DATABASE_URL.
   */
  MIGRATION_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  /** Whether the server applies migrations when it starts; `false` where a separate step runs `cli migrate`. */
  MIGRATE_ON_START: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** Requests per API key per RATE_LIMIT_WINDOW_MS, counted once the key is known (403, 400, 422 too). */
  RATE_LIMIT_MAX: positiveInt.default(60_000),
  /** Requests per client IP per RATE_LIMIT_WINDOW_MS, counted before authentication (401s too). */
  RATE_LIMIT_IP_MAX: positiveInt.default(120_000),
  RATE_LIMIT_WINDOW_MS: positiveInt.default(60_000),
  BODY_LIMIT_BYTES: positiveInt.default(1_048_576),
  /** Event-loop delay above which new requests are shed with 503; 0 turns load shedding off. */
  MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).default(1_000),
  SHUTDOWN_GRACE_MS: positiveInt.default(10_000),
  /** How often an instance checks whether another one activated a registry version. */
  REGISTRY_POLL_MS: positiveInt.default(2_000),
  /** Group commit: how long the audit writer waits to gather a batch, and its largest batch. */
  AUDIT_FLUSH_MS: z.coerce.number().min(0).max(1_000).default(2),
  AUDIT_MAX_BATCH: positiveInt.max(1_000).default(100),
  PG_POOL_SIZE: positiveInt.max(200).default(10),
  /**
   * Long reads at once (audit exports, verifications, impact reports) per instance; more are answered 503
   * with Retry-After. On PostgreSQL they read through their own pool of twice as many connections, so
   * they never take the connections screenings commit through.
   */
  EXPORT_CONCURRENCY: positiveInt.max(50).default(4),
  /** A streamed export slower than this (bytes per second over any 10 s) is cut; 0 turns it off. */
  EXPORT_MIN_BYTES_PER_SECOND: z.coerce.number().int().min(0).default(65_536),
  /** Webhooks: how often the delivery worker looks for new events and due retries. */
  WEBHOOK_POLL_MS: positiveInt.max(3_600_000).default(1_000),
  /** Webhooks: the longest wait for a receiver's answer; longer is a failed attempt. */
  WEBHOOK_TIMEOUT_MS: positiveInt.max(300_000).default(10_000),
  /**
   * Webhooks: the retry schedule. The first retry comes after about WEBHOOK_RETRY_BASE_MS, each next one
   * after twice as long (with jitter), never more than WEBHOOK_RETRY_MAX_MS apart; retries never stop.
   */
  WEBHOOK_RETRY_BASE_MS: positiveInt.max(86_400_000).default(10_000),
  WEBHOOK_RETRY_MAX_MS: positiveInt.max(86_400_000).default(3_600_000),
  /** Webhooks: subscriptions one instance delivers to at once. */
  WEBHOOK_CONCURRENCY: positiveInt.max(100).default(4),
  /**
   * Webhooks: networks (CIDRs or addresses, comma-separated) a webhook may target besides public unicast
   * addresses; empty: loopback, private, link-local, unique-local and other non-public targets are refused,
   * at registration and at every delivery (README, Security).
   */
  WEBHOOK_ALLOWED_NETWORKS: z
    .string()
    .default('')
    .superRefine((text, ctx) => {
      try {
        parseNetworks(text)
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message })
      }
    }),
  /** Ed25519 private key (PKCS#8 PEM) that signs audit checkpoints; `\n` may stand for newlines. */
  AUDIT_SIGNING_KEY: z.string().includes('PRIVATE KEY', { message: 'must be a PEM private key' }).optional(),
  /** A file holding that key; with neither, the key is `DATA_DIR/audit-signing-key.pem`, made on first start. */
  AUDIT_SIGNING_KEY_FILE: z.string().min(1).optional(),
})

export type Config = Readonly<z.infer<typeof ConfigSchema>>

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** The only reader of process.env: every setting is validated here, once, at start-up. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const picked: Record<string, string> = {}
  for (const key of Object.keys(ConfigSchema.shape)) {
    const value = env[key]
    if (value !== undefined && value !== '') picked[key] = value
  }
  const parsed = ConfigSchema.safeParse(picked)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`)
  }
  const config = parsed.data
  if (config.MIGRATION_DATABASE_URL && !config.DATABASE_URL)
    throw new ConfigError(
      'invalid configuration:\n  MIGRATION_DATABASE_URL: needs DATABASE_URL (the embedded database has one role)',
    )
  if (config.METRICS_PORT !== 0 && config.METRICS_PORT === config.PORT)
    throw new ConfigError(
      'invalid configuration:\n  METRICS_PORT: must differ from PORT (metrics have a listener of their own)',
    )
  return Object.freeze(config)
}

/** Variables documented in README and .env.example, with their meaning. */
export const CONFIG_KEYS = Object.keys(ConfigSchema.shape)
