CREATE TABLE "screening_lines" (
	"screening_id" uuid NOT NULL,
	"line_no" integer NOT NULL,
	"declaration_id" text NOT NULL,
	"direction" text NOT NULL,
	"decided_at" timestamp with time zone NOT NULL,
	"decided_day" date NOT NULL,
	"audit_sequence" bigint NOT NULL,
	"registry_version" text NOT NULL,
	"declaration_decision" text NOT NULL,
	"hs_code" text NOT NULL,
	"cas_numbers" text[] NOT NULL,
	"groups" text[] NOT NULL,
	"reason_codes" text[] NOT NULL,
	"decision" text NOT NULL,
	"quantity" numeric,
	"unit" text,
	"kilograms" numeric,
	"declared_value" numeric,
	"currency" text,
	"trade_country" text,
	"customs_office" text,
	CONSTRAINT "screening_lines_screening_id_line_no_pk" PRIMARY KEY("screening_id","line_no")
);
--> statement-breakpoint
CREATE INDEX "screening_lines_day_idx" ON "screening_lines" USING btree ("decided_day");--> statement-breakpoint
CREATE INDEX "screening_lines_sequence_idx" ON "screening_lines" USING btree ("audit_sequence","line_no");--> statement-breakpoint
-- Hand-written: back-fill the facts of screenings stored before this table existed, from their audit
-- events' payloads ({request, response}); request and response lines pair by position. The same
-- derivations as stageScreenings (src/services/screening-service.ts): CAS numbers in canonical form
-- (zeros stripped, hyphenated), groups and reason codes from the line's reasons, sorted and unique,
-- kilograms only for units `kg` and `035`, the decided day in Asia/Shanghai.
INSERT INTO "screening_lines" (
	"screening_id", "line_no", "declaration_id", "direction", "decided_at", "decided_day", "audit_sequence",
	"registry_version", "declaration_decision", "hs_code", "cas_numbers", "groups", "reason_codes", "decision",
	"quantity", "unit", "kilograms", "declared_value", "currency", "trade_country", "customs_office"
)
SELECT
	s."id",
	(rl.line->>'lineNo')::integer,
	s."declaration_id",
	s."direction",
	(e."payload"->'response'->>'decidedAt')::timestamptz,
	((e."payload"->'response'->>'decidedAt')::timestamptz AT TIME ZONE 'Asia/Shanghai')::date,
	s."audit_sequence",
	s."registry_version",
	s."decision",
	rl.line->'hs'->>'code',
	ARRAY(
		SELECT left(d, length(d) - 3) || '-' || substr(d, length(d) - 2, 2) || '-' || right(d, 1)
		FROM (
			SELECT ltrim(replace(trim(c.cas), '-', ''), '0') AS d, min(c.o) AS o
			FROM (
				SELECT x.cas, x.o FROM json_array_elements_text(coalesce(ql.line->'casNumbers', '[]')) WITH ORDINALITY AS x(cas, o)
				UNION ALL
				SELECT y.comp->>'cas', 1000 + y.o FROM json_array_elements(coalesce(ql.line->'components', '[]')) WITH ORDINALITY AS y(comp, o)
			) c
			GROUP BY 1
		) n
		ORDER BY n.o
	),
	ARRAY(SELECT DISTINCT r->>'substanceId' FROM json_array_elements(rl.line->'reasons') r ORDER BY 1),
	ARRAY(SELECT DISTINCT r->>'code' FROM json_array_elements(rl.line->'reasons') r ORDER BY 1),
	rl.line->>'decision',
	(ql.line->'quantity'->>'value')::numeric,
	ql.line->'quantity'->>'unit',
	CASE WHEN ql.line->'quantity'->>'unit' IN ('kg', '035') THEN (ql.line->'quantity'->>'value')::numeric END,
	(ql.line->'declaredValue'->>'amount')::numeric,
	ql.line->'declaredValue'->>'currency',
	e."payload"->'request'->'declaration'->>'tradeCountry',
	e."payload"->'request'->'declaration'->>'customsOffice'
FROM "screenings" s
JOIN "audit_events" e ON e."sequence" = s."audit_sequence"
CROSS JOIN LATERAL json_array_elements(e."payload"->'response'->'lines') WITH ORDINALITY AS rl(line, o)
LEFT JOIN LATERAL (
	SELECT q.line FROM json_array_elements(e."payload"->'request'->'lines') WITH ORDINALITY AS q(line, o)
	WHERE q.o = rl.o
) ql ON true
ON CONFLICT DO NOTHING;
