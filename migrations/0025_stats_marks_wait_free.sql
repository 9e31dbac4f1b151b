-- The stats refresher deletes the dirty marks at the start of its transaction and holds those row
-- locks until it commits, seconds later. With a primary key on each mark table, every writer's
-- `INSERT ... ON CONFLICT DO NOTHING` of the same week, village or citizen waited for that commit:
-- intake and identify stalled 0.3-1.3 s every 20 s under load (log_lock_waits during
-- `bench:push --rate 1000`; these stalls set the accept p99). Without a unique index the marks are
-- plain inserts that never wait on anyone (ON CONFLICT DO NOTHING with no arbiter just inserts).
-- A mark may now appear more than once: the refresher reads them with DISTINCT. A mark committed
-- after the refresher's delete is not deleted by it and is read by the next refresh, as before.
ALTER TABLE "stats_dirty_citizens" DROP CONSTRAINT "stats_dirty_citizens_pkey";
--> statement-breakpoint
ALTER TABLE "stats_dirty_villages" DROP CONSTRAINT "stats_dirty_villages_pkey";
--> statement-breakpoint
ALTER TABLE "stats_dirty_weeks" DROP CONSTRAINT "stats_dirty_weeks_pkey";
--> statement-breakpoint
ALTER TABLE "stats_dirty_participants" DROP CONSTRAINT "stats_dirty_participants_pkey";
