-- What a pull run saw of an offset-paged listing (totals at start and end, re-read passes, distinct rows)
-- and why it deserves attention although it finished (fewer rows than the server counts, zero rows).
ALTER TABLE "sync_runs" ADD COLUMN "records_received" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD COLUMN "paging" jsonb;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD COLUMN "warning" text;--> statement-breakpoint
-- The listing items a running run has received, to drop the rows offset paging repeats and to count the
-- distinct rows against the server's total. Unlogged: it only matters while its run is running, and a
-- run interrupted by a crash is ended and resumed by a new run anyway.
CREATE UNLOGGED TABLE "sync_run_items" (
	"run_id" integer NOT NULL,
	"item_key" text NOT NULL,
	CONSTRAINT "sync_run_items_pk" PRIMARY KEY ("run_id", "item_key")
);
