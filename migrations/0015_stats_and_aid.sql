-- Statistics kept current from what changed (statement triggers mark citizens and villages dirty; the
-- stats refresher recomputes only those), and aid programs with their participants.
CREATE TABLE "stats_dirty_citizens" ("citizen_id" integer PRIMARY KEY NOT NULL);
--> statement-breakpoint
CREATE TABLE "stats_dirty_villages" ("village_code" char(10) PRIMARY KEY NOT NULL);
--> statement-breakpoint
CREATE TABLE "stats_people" (
	"citizen_id" integer PRIMARY KEY NOT NULL,
	"village_code" char(10) NOT NULL,
	"kk" char(16),
	"sex" char(1),
	"birth_date" date,
	"pregnant" boolean NOT NULL,
	"has_nik" boolean NOT NULL
);
--> statement-breakpoint
CREATE INDEX "stats_people_village_idx" ON "stats_people" ("village_code");
--> statement-breakpoint
CREATE TABLE "stats_village" (
	"village_code" char(10) PRIMARY KEY NOT NULL,
	"residents" integer NOT NULL,
	"records" integer NOT NULL,
	"duplicates" integer NOT NULL,
	"households" integer NOT NULL,
	"children_0_23m" integer NOT NULL,
	"children_0_59m" integer NOT NULL,
	"pregnant" integer NOT NULL,
	"women_15_49" integer NOT NULL,
	"without_nik" integer NOT NULL,
	"records_with_warnings" integer NOT NULL,
	"last_received_at" timestamp with time zone,
	"as_of" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stats_village_age" (
	"village_code" char(10) NOT NULL,
	"sex" char(1) NOT NULL,
	"age_group" smallint NOT NULL,
	"residents" integer NOT NULL,
	PRIMARY KEY ("village_code", "sex", "age_group")
);
--> statement-breakpoint
CREATE TABLE "stats_state" (
	"id" smallint PRIMARY KEY NOT NULL DEFAULT 1,
	"ages_as_of" date,
	"refreshed_at" timestamp with time zone,
	"rebuilt_at" timestamp with time zone
);
--> statement-breakpoint
INSERT INTO "stats_state" ("id") VALUES (1);
--> statement-breakpoint
CREATE FUNCTION stats_mark_new_citizens() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stats_dirty_citizens SELECT DISTINCT id FROM new_rows ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER stats_citizens_ins AFTER INSERT ON citizens REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_new_citizens();
--> statement-breakpoint
CREATE TRIGGER stats_citizens_upd AFTER UPDATE ON citizens REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_new_citizens();
--> statement-breakpoint
CREATE FUNCTION stats_mark_records_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stats_dirty_citizens SELECT DISTINCT citizen_id FROM new_rows WHERE citizen_id IS NOT NULL ON CONFLICT DO NOTHING;
  IF TG_TABLE_NAME = 'resident_records' THEN
    INSERT INTO stats_dirty_villages SELECT DISTINCT village_code FROM new_rows WHERE village_code IS NOT NULL ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION stats_mark_records_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stats_dirty_citizens SELECT DISTINCT citizen_id FROM old_rows WHERE citizen_id IS NOT NULL ON CONFLICT DO NOTHING;
  IF TG_TABLE_NAME = 'resident_records' THEN
    INSERT INTO stats_dirty_villages SELECT DISTINCT village_code FROM old_rows WHERE village_code IS NOT NULL ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER stats_resident_records_ins AFTER INSERT ON resident_records REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_records_new();
--> statement-breakpoint
CREATE TRIGGER stats_resident_records_upd_new AFTER UPDATE ON resident_records REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_records_new();
--> statement-breakpoint
CREATE TRIGGER stats_resident_records_upd_old AFTER UPDATE ON resident_records REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_records_old();
--> statement-breakpoint
CREATE TRIGGER stats_resident_records_del AFTER DELETE ON resident_records REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_records_old();
--> statement-breakpoint
CREATE TRIGGER stats_citizen_records_ins AFTER INSERT ON citizen_records REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_records_new();
--> statement-breakpoint
CREATE TRIGGER stats_citizen_records_upd_new AFTER UPDATE ON citizen_records REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_records_new();
--> statement-breakpoint
CREATE TRIGGER stats_citizen_records_upd_old AFTER UPDATE ON citizen_records REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_records_old();
--> statement-breakpoint
CREATE TRIGGER stats_citizen_records_del AFTER DELETE ON citizen_records REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_records_old();
--> statement-breakpoint
CREATE INDEX "registrations_created_idx" ON "registrations" ("created_at");
--> statement-breakpoint
CREATE TABLE "aid_programs" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "aid_programs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"village_code" char(10) NOT NULL,
	"local_id" varchar(40) NOT NULL,
	"name" text NOT NULL,
	"program_key" varchar(64) NOT NULL,
	"target" smallint,
	"description" text,
	"start_date" date,
	"end_date" date,
	"active" boolean,
	"funding" text,
	"channel" varchar(16) NOT NULL,
	"inbox_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "aid_programs_village_local_uq" ON "aid_programs" ("village_code", "local_id");
--> statement-breakpoint
CREATE TABLE "aid_participants" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "aid_participants_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"village_code" char(10) NOT NULL,
	"local_id" varchar(40) NOT NULL,
	"program_local_id" varchar(40) NOT NULL,
	"participant_ref" varchar(40),
	"card_number" varchar(64),
	"nik" char(16),
	"full_name" text,
	"birth_place" text,
	"birth_date" date,
	"address" text,
	"resident_local_id" varchar(40),
	"target" smallint,
	"content_hash" char(40) NOT NULL,
	"resident_id" integer,
	"citizen_id" integer,
	"link" varchar(16) NOT NULL DEFAULT 'none',
	"channel" varchar(16) NOT NULL,
	"inbox_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "aid_participants_village_local_uq" ON "aid_participants" ("village_code", "local_id");
--> statement-breakpoint
CREATE INDEX "aid_participants_program_idx" ON "aid_participants" ("village_code", "program_local_id");
--> statement-breakpoint
CREATE INDEX "aid_participants_unlinked_idx" ON "aid_participants" ("village_code") WHERE "link" = 'none';
--> statement-breakpoint
CREATE FUNCTION stats_citizen_root(cid integer) RETURNS integer LANGUAGE plpgsql STABLE AS $$
DECLARE cur integer := cid; nxt integer; depth integer := 0;
BEGIN
  IF cid IS NULL THEN RETURN NULL; END IF;
  LOOP
    SELECT merged_into INTO nxt FROM citizens WHERE id = cur;
    EXIT WHEN nxt IS NULL OR depth >= 64;
    cur := nxt;
    depth := depth + 1;
  END LOOP;
  RETURN cur;
END $$;
--> statement-breakpoint
CREATE TABLE "stats_dirty_weeks" ("week" date PRIMARY KEY NOT NULL);
--> statement-breakpoint
CREATE TABLE "stats_service_week" (
	"week" date NOT NULL,
	"service_code" varchar(48) NOT NULL,
	"agency_code" varchar(32) NOT NULL,
	"kecamatan_code" char(6) NOT NULL,
	"registrations" integer NOT NULL,
	"acknowledged" integer NOT NULL,
	"waiting" integer NOT NULL,
	PRIMARY KEY ("week", "service_code", "agency_code", "kecamatan_code")
);
--> statement-breakpoint
CREATE TABLE "stats_wait_hist" (
	"week" date NOT NULL,
	"agency_code" varchar(32) NOT NULL,
	"kecamatan_code" char(6) NOT NULL,
	"bucket" smallint NOT NULL,
	"n" integer NOT NULL,
	PRIMARY KEY ("week", "agency_code", "kecamatan_code", "bucket")
);
--> statement-breakpoint
CREATE FUNCTION stats_mark_weeks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'registrations' THEN
    INSERT INTO stats_dirty_weeks SELECT DISTINCT date_trunc('week', created_at at time zone 'UTC')::date FROM new_rows ON CONFLICT DO NOTHING;
  ELSE
    INSERT INTO stats_dirty_weeks SELECT DISTINCT date_trunc('week', g.created_at at time zone 'UTC')::date
      FROM new_rows d JOIN registrations g ON g.id = d.registration_id ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER stats_registrations_ins AFTER INSERT ON registrations REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_weeks();
--> statement-breakpoint
CREATE TRIGGER stats_registrations_upd AFTER UPDATE ON registrations REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_weeks();
--> statement-breakpoint
CREATE TRIGGER stats_deliveries_ins AFTER INSERT ON deliveries REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_weeks();
--> statement-breakpoint
CREATE TRIGGER stats_deliveries_upd AFTER UPDATE ON deliveries REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_weeks();
--> statement-breakpoint
CREATE INDEX "aid_participants_resident_idx" ON "aid_participants" ("resident_id") WHERE "resident_id" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "aid_participants_citizen_idx" ON "aid_participants" ("citizen_id") WHERE "citizen_id" IS NOT NULL;
--> statement-breakpoint
CREATE TABLE "stats_dirty_participants" ("participant_id" integer PRIMARY KEY NOT NULL);
--> statement-breakpoint
CREATE TABLE "stats_aid" (
	"participant_id" integer PRIMARY KEY NOT NULL,
	"village_code" char(10) NOT NULL,
	"program_local_id" varchar(40) NOT NULL,
	"citizen_id" integer,
	"kk" char(16)
);
--> statement-breakpoint
CREATE INDEX "stats_aid_citizen_idx" ON "stats_aid" ("citizen_id");
--> statement-breakpoint
CREATE INDEX "stats_aid_village_idx" ON "stats_aid" ("village_code");
--> statement-breakpoint
CREATE FUNCTION stats_mark_participants() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stats_dirty_participants SELECT DISTINCT id FROM new_rows ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER stats_aid_participants_ins AFTER INSERT ON aid_participants REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_participants();
--> statement-breakpoint
CREATE TRIGGER stats_aid_participants_upd AFTER UPDATE ON aid_participants REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_participants();
--> statement-breakpoint
CREATE INDEX "stats_people_village_birth_idx" ON "stats_people" ("village_code", "birth_date");
