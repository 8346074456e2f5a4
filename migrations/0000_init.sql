CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"prefix" text NOT NULL,
	"key_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"sequence" bigint PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"action" text NOT NULL,
	"actor" jsonb NOT NULL,
	"subject" jsonb NOT NULL,
	"decision" text,
	"registry_version" text,
	"request_id" text,
	"payload" jsonb NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "registry_versions" (
	"version" text PRIMARY KEY NOT NULL,
	"content_hash" text NOT NULL,
	"document" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" jsonb NOT NULL,
	"active" boolean DEFAULT false NOT NULL,
	"activated_at" timestamp with time zone,
	"activated_by" jsonb
);
--> statement-breakpoint
CREATE TABLE "review_cases" (
	"id" uuid PRIMARY KEY NOT NULL,
	"screening_id" uuid NOT NULL,
	"declaration_id" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"lines" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"outcome" text,
	"reason_code" text,
	"note" text,
	"decided_by" jsonb,
	"resolution_sequence" bigint
);
--> statement-breakpoint
CREATE TABLE "screenings" (
	"id" uuid PRIMARY KEY NOT NULL,
	"declaration_id" text NOT NULL,
	"direction" text NOT NULL,
	"as_of" date NOT NULL,
	"decision" text NOT NULL,
	"registry_version" text NOT NULL,
	"actor_key_id" uuid NOT NULL,
	"actor" jsonb NOT NULL,
	"request" jsonb NOT NULL,
	"response" jsonb NOT NULL,
	"request_id" text NOT NULL,
	"idempotency_key" text,
	"request_hash" text NOT NULL,
	"rescreen_of" uuid,
	"audit_sequence" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_key_hash_idx" ON "api_keys" USING btree ("key_hash");--> statement-breakpoint
CREATE INDEX "audit_events_at_idx" ON "audit_events" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_events_action_idx" ON "audit_events" USING btree ("action");--> statement-breakpoint
CREATE UNIQUE INDEX "registry_versions_one_active_idx" ON "registry_versions" USING btree ("active") WHERE "registry_versions"."active";--> statement-breakpoint
CREATE UNIQUE INDEX "review_cases_screening_idx" ON "review_cases" USING btree ("screening_id");--> statement-breakpoint
CREATE INDEX "review_cases_status_idx" ON "review_cases" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "screenings_idempotency_idx" ON "screenings" USING btree ("actor_key_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "screenings_declaration_idx" ON "screenings" USING btree ("declaration_id");--> statement-breakpoint
CREATE INDEX "screenings_created_idx" ON "screenings" USING btree ("created_at");