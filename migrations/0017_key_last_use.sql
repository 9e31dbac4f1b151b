-- When each key or OpenDK token was last accepted, for the console's "Pengguna, kunci dan token":
-- written from memory at most once a minute per hub process, never on the request itself.
ALTER TABLE "api_keys" ADD COLUMN "last_used_at" timestamp with time zone;
--> statement-breakpoint
-- A source's latest runs by id (its state, its circuit breaker): with only (source_id, started_at) each
-- of a hundred sources read and sorted its whole run history on every Beranda, Sumber and Pipeline page.
CREATE INDEX "sync_runs_source_id_idx" ON "sync_runs" USING btree ("source_id", "id");
