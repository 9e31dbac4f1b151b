-- A rejected record finds its open quarantine entry (quarantineOnce) by this index, not by reading every
-- open entry of its village: a batch push of 1,000 records with ~230 rejected compared each against all
-- of the village's open entries' payloads (jsonb equality), so the lookup grew with the quarantine and
-- took half of Postgres' time in an HTTP batch push of 20 s. jsonb's text form is canonical (keys
-- ordered, whitespace fixed), so equal payloads have equal md5s.
CREATE INDEX "quarantine_open_payload_idx" ON "quarantine" USING btree ("kind", md5("payload"::text)) WHERE "status" = 'open';
--> statement-breakpoint
-- Record bodies kept as jsonb are never filtered on as whole values: no planner statistics for them. The
-- hub analyzes the tables it bulk-loads as they grow, and sorting a 30,000-row sample of applicants for
-- their histogram was most of that: ANALYZE of 150,000 registrations 400 ms -> 45-105 ms without it.
ALTER TABLE "registrations" ALTER COLUMN "applicant" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "registrations" ALTER COLUMN "details" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "inbox" ALTER COLUMN "payload" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "inbox" ALTER COLUMN "response" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "quarantine" ALTER COLUMN "payload" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "resident_records" ALTER COLUMN "extra" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "citizen_records" ALTER COLUMN "evidence" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "review_cases" ALTER COLUMN "evidence" SET STATISTICS 0;
