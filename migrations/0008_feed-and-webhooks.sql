CREATE TABLE IF NOT EXISTS "feed_events" (
	"audit_sequence" bigint NOT NULL,
	"ordinal" integer NOT NULL,
	"type" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"organisation" text,
	"screening_id" uuid,
	"declaration_id" text,
	"review_id" uuid,
	"decision" text,
	"registry_version" text,
	"rescreen_of" uuid,
	CONSTRAINT "feed_events_audit_sequence_ordinal_pk" PRIMARY KEY("audit_sequence","ordinal")
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "webhook_attempts" (
	"delivery_id" uuid NOT NULL,
	"attempt" integer NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"duration_ms" integer NOT NULL,
	"status_code" integer,
	"error" text,
	CONSTRAINT "webhook_attempts_delivery_id_attempt_pk" PRIMARY KEY("delivery_id","attempt")
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "webhook_deliveries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"subscription_id" uuid NOT NULL,
	"event_id" text NOT NULL,
	"event_type" text NOT NULL,
	"body" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "webhook_subscriptions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"events" text[] NOT NULL,
	"organisation" text NOT NULL,
	"secret" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" jsonb NOT NULL,
	"after_sequence" bigint NOT NULL,
	"after_ordinal" integer NOT NULL,
	"next_run_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_token" uuid,
	"lease_until" timestamp with time zone,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "feed_events_organisation_idx" ON "feed_events" USING btree ("organisation","audit_sequence","ordinal");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "webhook_deliveries_subscription_idx" ON "webhook_deliveries" USING btree ("subscription_id","id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "webhook_deliveries_pending_idx" ON "webhook_deliveries" USING btree ("subscription_id") WHERE "webhook_deliveries"."status" = 'pending';--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "webhook_subscriptions_next_run_idx" ON "webhook_subscriptions" USING btree ("next_run_at") WHERE "webhook_subscriptions"."deleted_at" is null;--> statement-breakpoint
-- Hand-written back-fill (re-runnable, as the tables above): the feed of what happened before it existed, from the rows that record it, each
-- event under the audit sequence of the event that recorded the change (as the service writes them).
INSERT INTO "feed_events" ("audit_sequence", "ordinal", "type", "at", "organisation", "screening_id", "declaration_id", "review_id", "decision", "registry_version", "rescreen_of")
SELECT s."audit_sequence", 0, CASE WHEN s."rescreen_of" IS NULL THEN 'screening.created' ELSE 'screening.rescreened' END,
	s."created_at", s."organisation", s."id", s."declaration_id", NULL, s."decision", s."registry_version", s."rescreen_of"
FROM "screenings" s
ON CONFLICT DO NOTHING;--> statement-breakpoint
INSERT INTO "feed_events" ("audit_sequence", "ordinal", "type", "at", "organisation", "screening_id", "declaration_id", "review_id", "decision", "registry_version", "rescreen_of")
SELECT s."audit_sequence", 1, 'review.opened', s."created_at", s."organisation", s."id", s."declaration_id", r."id", 'REVIEW', s."registry_version", NULL
FROM "review_cases" r JOIN "screenings" s ON s."id" = r."screening_id"
ON CONFLICT DO NOTHING;--> statement-breakpoint
INSERT INTO "feed_events" ("audit_sequence", "ordinal", "type", "at", "organisation", "screening_id", "declaration_id", "review_id", "decision", "registry_version", "rescreen_of")
SELECT r."resolution_sequence", 0, 'review.resolved', r."resolved_at", s."organisation", s."id", s."declaration_id", r."id", r."outcome", NULL, NULL
FROM "review_cases" r JOIN "screenings" s ON s."id" = r."screening_id" WHERE r."resolution_sequence" IS NOT NULL
ON CONFLICT DO NOTHING;--> statement-breakpoint
INSERT INTO "feed_events" ("audit_sequence", "ordinal", "type", "at", "organisation", "screening_id", "declaration_id", "review_id", "decision", "registry_version", "rescreen_of")
SELECT e."sequence", 0, 'registry.activated', e."at", NULL, NULL, NULL, NULL, NULL, e."registry_version", NULL
FROM "audit_events" e WHERE e."action" = 'registry.activated'
ON CONFLICT DO NOTHING;
