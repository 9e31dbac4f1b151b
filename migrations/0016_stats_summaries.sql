-- Summary tables so every statistics endpoint reads a few thousand rows at most (issue 11's 200 ms bar at
-- 300,000 citizens): aid reach per village and program, double-enrolment candidates, items waiting for
-- an agency's final answer (with their service-level due time), and families with a child under five on
-- the village figures. All kept by the same refresher as migration 0015's tables.
ALTER TABLE "stats_village" ADD COLUMN "families_child_u5" integer NOT NULL DEFAULT 0;
--> statement-breakpoint
ALTER TABLE "stats_village" ADD COLUMN "families_child_u5_aided" integer NOT NULL DEFAULT 0;
--> statement-breakpoint
ALTER TABLE "stats_state" ADD COLUMN "aid_groups" text;
--> statement-breakpoint
CREATE INDEX "stats_people_kk_idx" ON "stats_people" ("kk") WHERE "kk" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "stats_aid_kk_idx" ON "stats_aid" ("kk") WHERE "kk" IS NOT NULL;
--> statement-breakpoint
CREATE TABLE "stats_aid_village" (
	"village_code" char(10) NOT NULL,
	"program_key" varchar(64) NOT NULL,
	"program_name" text NOT NULL,
	"enrolments" integer NOT NULL,
	"people" integer NOT NULL,
	"unlinked" integer NOT NULL,
	PRIMARY KEY ("village_code", "program_key")
);
--> statement-breakpoint
CREATE TABLE "stats_aid_multi" (
	"participant_id" integer PRIMARY KEY NOT NULL,
	"citizen_id" integer NOT NULL,
	"grp" varchar(64) NOT NULL,
	"village_code" char(10) NOT NULL
);
--> statement-breakpoint
CREATE INDEX "stats_aid_multi_citizen_idx" ON "stats_aid_multi" ("citizen_id", "grp");
--> statement-breakpoint
CREATE INDEX "stats_aid_multi_village_idx" ON "stats_aid_multi" ("village_code");
--> statement-breakpoint
CREATE TABLE "stats_open_items" (
	"delivery_id" integer PRIMARY KEY NOT NULL,
	"week" date NOT NULL,
	"service_code" varchar(48) NOT NULL,
	"agency_code" varchar(32) NOT NULL,
	"kecamatan_code" char(6) NOT NULL,
	"due_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "stats_open_items_week_idx" ON "stats_open_items" ("week");
--> statement-breakpoint
CREATE INDEX "stats_open_items_kecamatan_idx" ON "stats_open_items" ("kecamatan_code", "agency_code");
--> statement-breakpoint
CREATE TABLE "stats_agency_week" (
	"week" date NOT NULL,
	"agency_code" varchar(32) NOT NULL,
	"kecamatan_code" char(6) NOT NULL,
	"registrations" integer NOT NULL,
	"acknowledged" integer NOT NULL,
	"waiting" integer NOT NULL,
	"service_rows" integer NOT NULL,
	PRIMARY KEY ("week", "agency_code", "kecamatan_code")
);
--> statement-breakpoint
-- A program received, renamed or switched off changes the figures of its enrolments (joined by village and the village's program id).
CREATE FUNCTION stats_mark_program_participants() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stats_dirty_participants SELECT DISTINCT p.id FROM new_rows n
    JOIN aid_participants p ON p.village_code = n.village_code AND p.program_local_id = n.local_id ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER stats_aid_programs_ins AFTER INSERT ON aid_programs REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_program_participants();
--> statement-breakpoint
CREATE TRIGGER stats_aid_programs_upd AFTER UPDATE ON aid_programs REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_program_participants();
