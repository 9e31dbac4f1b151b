-- A registration or resident record has no citizen until identify links it, yet every insert at intake
-- added a NULL entry to the citizen index: one of the six index entries of each registration stored.
-- Indexing only linked records made inserting 100,000 registrations 9% faster (1.93-1.95 s against
-- 2.12-2.14 s, same window, alternating). A lookup by citizen (=, = any, in) implies IS NOT NULL, so
-- the planner keeps the index for it (EXPLAIN, generic plans too).
DROP INDEX IF EXISTS "registrations_citizen_idx";--> statement-breakpoint
CREATE INDEX "registrations_citizen_idx" ON "registrations" USING btree ("citizen_id") WHERE "citizen_id" IS NOT NULL;--> statement-breakpoint
DROP INDEX IF EXISTS "resident_records_citizen_idx";--> statement-breakpoint
CREATE INDEX "resident_records_citizen_idx" ON "resident_records" USING btree ("citizen_id") WHERE "citizen_id" IS NOT NULL;
