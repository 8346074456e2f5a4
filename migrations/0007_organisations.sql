DROP INDEX "screenings_idempotency_idx";--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "organisation" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
-- Hand-written: every key made before organisations existed gets one of its own, `key-<its id>`, so no
-- screening becomes visible to a key that could not see it before. New keys made without one belong to
-- `default`; a key made later with `organisation: key-<id>` joins (rotates) such a key.
UPDATE "api_keys" SET "organisation" = 'key-' || "id";--> statement-breakpoint
ALTER TABLE "screenings" ADD COLUMN "organisation" text;--> statement-breakpoint
ALTER TABLE "screenings" ADD COLUMN "actor_organisation" text;--> statement-breakpoint
ALTER TABLE "screenings" ADD COLUMN "superseded_by" uuid;--> statement-breakpoint
ALTER TABLE "screenings" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
-- Hand-written back-fill, one pass over the screenings. A screening belongs to the organisation of the key
-- that made it, a re-screen to the organisation of the screening it re-screened (the chain's first one),
-- as the service now writes them. `superseded_by` is the newest direct re-screen (uuidv7 ids sort by
-- time); `updated_at` the latest of its creation, its review's resolution and that re-screen.
WITH RECURSIVE "chain" ("id", "root_key_id") AS (
	SELECT "id", "actor_key_id" FROM "screenings" WHERE "rescreen_of" IS NULL
	UNION ALL
	SELECT s."id", c."root_key_id" FROM "screenings" s JOIN "chain" c ON s."rescreen_of" = c."id"
),
"newest_rescreen" AS (
	SELECT "rescreen_of" AS "id", max("id"::text)::uuid AS "rescreen_id", max("created_at") AS "at"
	FROM "screenings" WHERE "rescreen_of" IS NOT NULL GROUP BY "rescreen_of"
)
UPDATE "screenings" s SET
	"actor_organisation" = 'key-' || s."actor_key_id",
	"organisation" = 'key-' || coalesce(c."root_key_id", s."actor_key_id"),
	"superseded_by" = n."rescreen_id",
	"updated_at" = greatest(s."created_at", r."resolved_at", n."at")
FROM "screenings" s2
LEFT JOIN "chain" c ON c."id" = s2."id"
LEFT JOIN "newest_rescreen" n ON n."id" = s2."id"
LEFT JOIN "review_cases" r ON r."screening_id" = s2."id"
WHERE s2."id" = s."id";--> statement-breakpoint
ALTER TABLE "screenings" ALTER COLUMN "organisation" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "screenings" ALTER COLUMN "actor_organisation" SET NOT NULL;--> statement-breakpoint
CREATE INDEX "screenings_organisation_idx" ON "screenings" USING btree ("organisation","id");--> statement-breakpoint
CREATE INDEX "screenings_updated_idx" ON "screenings" USING btree ("updated_at");--> statement-breakpoint
CREATE UNIQUE INDEX "screenings_idempotency_idx" ON "screenings" USING btree ("actor_organisation","idempotency_key");
