-- Where each line stands among its screening's lines, taken when the screening is written (lineFirsts in
-- src/core/line-facts.ts), so that the POPs trade report (src/services/trade-report.ts) counts declarations
-- by summing flags instead of deriving them per query with a window over the lines:
-- first_line (the screening's first line: one row per screening, from which the report finds each
-- declaration's latest screening), first_groups / first_hs_groups (the groups this line is the first of its
-- screening to meet, alone and with its HS code), first_pop / first_pop_hs (first to meet any group, alone
-- and with its HS code). "First" is in line number order. The back-fill below derives them from the lines
-- already stored. Re-runnable, as the migrations after 0007 are (test/db/migration-0007.test.ts).
ALTER TABLE "screening_lines" ADD COLUMN IF NOT EXISTS "first_line" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "screening_lines" ADD COLUMN IF NOT EXISTS "first_groups" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "screening_lines" ADD COLUMN IF NOT EXISTS "first_hs_groups" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "screening_lines" ADD COLUMN IF NOT EXISTS "first_pop" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "screening_lines" ADD COLUMN IF NOT EXISTS "first_pop_hs" boolean DEFAULT false NOT NULL;--> statement-breakpoint
UPDATE "screening_lines" l SET "first_line" = true
FROM (SELECT "screening_id", min("line_no") AS "line_no" FROM "screening_lines" GROUP BY "screening_id") f
WHERE l."screening_id" = f."screening_id" AND l."line_no" = f."line_no";--> statement-breakpoint
WITH g AS (
	SELECT "screening_id", "line_no", u.g, u.o,
		row_number() OVER (PARTITION BY "screening_id", u.g ORDER BY "line_no") AS n,
		row_number() OVER (PARTITION BY "screening_id", u.g, "hs_code" ORDER BY "line_no") AS n_hs
	FROM "screening_lines", unnest("groups") WITH ORDINALITY AS u(g, o)
	WHERE "groups" <> '{}'
), f AS (
	SELECT "screening_id", "line_no",
		coalesce(array_agg(g ORDER BY o) FILTER (WHERE n = 1), '{}') AS first_groups,
		coalesce(array_agg(g ORDER BY o) FILTER (WHERE n_hs = 1), '{}') AS first_hs_groups
	FROM g GROUP BY "screening_id", "line_no"
), p AS (
	SELECT "screening_id", "line_no",
		row_number() OVER (PARTITION BY "screening_id" ORDER BY "line_no") = 1 AS first_pop,
		row_number() OVER (PARTITION BY "screening_id", "hs_code" ORDER BY "line_no") = 1 AS first_pop_hs
	FROM "screening_lines" WHERE "groups" <> '{}'
)
UPDATE "screening_lines" l SET "first_groups" = f.first_groups, "first_hs_groups" = f.first_hs_groups,
	"first_pop" = p.first_pop, "first_pop_hs" = p.first_pop_hs
FROM f JOIN p USING ("screening_id", "line_no")
WHERE l."screening_id" = f."screening_id" AND l."line_no" = f."line_no";--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "screening_lines_first_line_idx" ON "screening_lines" USING btree ("declaration_id","decided_at","decided_day","screening_id") WHERE "screening_lines"."first_line";--> statement-breakpoint
-- Hand-written (drizzle-kit cannot declare INCLUDE): migration 0010's partial covering index, now with the
-- flags the report sums.
DROP INDEX IF EXISTS "screening_lines_groups_idx";--> statement-breakpoint
CREATE INDEX "screening_lines_groups_idx" ON "screening_lines" USING btree ("decided_day", "screening_id", "line_no")
	INCLUDE ("direction", "hs_code", "trade_country", "customs_office", "decision", "quantity", "unit", "kilograms", "declared_value", "currency", "groups", "first_groups", "first_hs_groups", "first_pop", "first_pop_hs")
	WHERE "groups" <> '{}';
