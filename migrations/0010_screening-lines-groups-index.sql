-- Hand-written (drizzle-kit cannot declare INCLUDE): the POPs trade report (src/services/trade-report.ts)
-- reads only the lines that met a group, about 15 % of them, in (day, screening, line) order. This
-- partial covering index gives them by an index-only scan in that order, with every column the report
-- sums, instead of a scan of the whole table: on 1,000,000 lines over a year, 60 ms of backend CPU
-- against 410 ms (README "Reports"). Lines that met no group never enter it.
CREATE INDEX IF NOT EXISTS "screening_lines_groups_idx" ON "screening_lines" USING btree ("decided_day", "screening_id", "line_no")
	INCLUDE ("direction", "hs_code", "trade_country", "customs_office", "decision", "quantity", "unit", "kilograms", "declared_value", "currency", "groups")
	WHERE "groups" <> '{}';
