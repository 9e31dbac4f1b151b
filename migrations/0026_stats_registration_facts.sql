-- Service figures follow each registration instead of recomputing its week. The refresher recomputed
-- the whole current week from registrations and deliveries whenever anything in it changed: under a
-- steady push, every 20 s, three statements of 100-330 ms each over a busy week, which took the CPU
-- intake needed (accept p99 after warm-up 595-723 ms with the refresher, 221 ms without, same window,
-- `bench:push --rate 1000`). Now each registration keeps the contribution it made (its facts), and a
-- refresh applies the difference between its facts now and then, for the registrations marked since.
-- A delivery now marks its registration by id, with no join: the week mark joined each slice of
-- deliveries to registrations in a static PL/pgSQL statement, planned once per connection while the
-- table was small, and then hashed a scan of every registration for each slice (auto_explain during
-- `npm run bench`: 4-15 ms per 250 deliveries, more than the insert itself).
CREATE TABLE "stats_registration_facts" (
	"registration_id" integer PRIMARY KEY NOT NULL,
	"week" date NOT NULL,
	"service_code" varchar(48) NOT NULL,
	"agency_code" varchar(32) NOT NULL,
	"kecamatan_code" char(6) NOT NULL,
	"acknowledged" boolean NOT NULL,
	"waiting" boolean NOT NULL,
	"delivery_id" integer,
	"wait_agency" varchar(32),
	"bucket" smallint
);
--> statement-breakpoint
-- No key, as the other mark tables (migration 0025): a writer never waits on the refresher's delete.
CREATE TABLE "stats_dirty_registrations" ("registration_id" integer NOT NULL);
--> statement-breakpoint
CREATE FUNCTION stats_mark_registrations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'registrations' THEN
    IF TG_OP = 'DELETE' THEN
      INSERT INTO stats_dirty_registrations SELECT id FROM old_rows;
    ELSE
      INSERT INTO stats_dirty_registrations SELECT id FROM new_rows;
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO stats_dirty_registrations SELECT registration_id FROM old_rows;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO stats_dirty_registrations SELECT registration_id FROM new_rows UNION SELECT registration_id FROM old_rows;
  ELSE
    INSERT INTO stats_dirty_registrations SELECT registration_id FROM new_rows;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
DROP TRIGGER "stats_registrations_ins" ON "registrations";
--> statement-breakpoint
DROP TRIGGER "stats_registrations_upd" ON "registrations";
--> statement-breakpoint
DROP TRIGGER "stats_deliveries_ins" ON "deliveries";
--> statement-breakpoint
DROP TRIGGER "stats_deliveries_upd" ON "deliveries";
--> statement-breakpoint
DROP FUNCTION stats_mark_weeks();
--> statement-breakpoint
DROP TABLE "stats_dirty_weeks";
--> statement-breakpoint
CREATE TRIGGER stats_registrations_ins AFTER INSERT ON registrations REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_registrations();
--> statement-breakpoint
CREATE TRIGGER stats_registrations_upd AFTER UPDATE ON registrations REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_registrations();
--> statement-breakpoint
CREATE TRIGGER stats_registrations_del AFTER DELETE ON registrations REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_registrations();
--> statement-breakpoint
CREATE TRIGGER stats_deliveries_ins AFTER INSERT ON deliveries REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_registrations();
--> statement-breakpoint
CREATE TRIGGER stats_deliveries_upd AFTER UPDATE ON deliveries REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_registrations();
--> statement-breakpoint
CREATE TRIGGER stats_deliveries_del AFTER DELETE ON deliveries REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_registrations();
--> statement-breakpoint
-- The figures so far had no facts behind them: the next refresh computes them again, from nothing.
DELETE FROM "stats_service_week";
--> statement-breakpoint
DELETE FROM "stats_agency_week";
--> statement-breakpoint
DELETE FROM "stats_wait_hist";
--> statement-breakpoint
DELETE FROM "stats_open_items";
--> statement-breakpoint
INSERT INTO "stats_dirty_registrations" SELECT "id" FROM "registrations";
