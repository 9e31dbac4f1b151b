DROP INDEX "registrations_status_idx";--> statement-breakpoint
DROP INDEX "resident_records_status_idx";--> statement-breakpoint
CREATE INDEX "registrations_inflight_idx" ON "registrations" USING btree ("status","updated_at") WHERE "registrations"."status" in ('accepted', 'validated', 'identified');--> statement-breakpoint
CREATE INDEX "resident_records_inflight_idx" ON "resident_records" USING btree ("status","updated_at") WHERE "resident_records"."status" = 'accepted';