CREATE TABLE "api_keys" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "api_keys_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"key_hash" char(64) NOT NULL,
	"key_prefix" varchar(16) NOT NULL,
	"role" varchar(16) NOT NULL,
	"village_code" char(10),
	"kecamatan_code" char(6),
	"agency_code" varchar(32),
	"label" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" varchar(48) NOT NULL,
	"target_type" varchar(32),
	"target_id" text,
	"region_code" varchar(10),
	"detail" jsonb
);
--> statement-breakpoint
CREATE TABLE "citizen_records" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "citizen_records_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"citizen_id" integer NOT NULL,
	"record_kind" varchar(16) NOT NULL,
	"record_id" integer NOT NULL,
	"village_code" char(10),
	"link" varchar(16) NOT NULL,
	"score" real,
	"evidence" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "citizens" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "citizens_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"nik" char(16),
	"kk" char(16),
	"full_name" text NOT NULL,
	"sex" char(1),
	"birth_date" date,
	"birth_place" text,
	"mother_name" text,
	"address" text,
	"village_code" char(10),
	"merged_into" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "deliveries" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "deliveries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"registration_id" integer NOT NULL,
	"agency_code" varchar(32) NOT NULL,
	"level" varchar(16) NOT NULL,
	"kecamatan_code" char(6),
	"queue" varchar(64) NOT NULL,
	"status" varchar(16) DEFAULT 'waiting' NOT NULL,
	"claimed_by" integer,
	"lease_until" timestamp with time zone,
	"attempts" smallint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"acked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "inbox" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "inbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"channel" varchar(16) NOT NULL,
	"kind" varchar(16) NOT NULL,
	"village_code" char(10),
	"api_key_id" integer,
	"source_id" varchar(64),
	"idempotency_key" varchar(128),
	"record_count" integer NOT NULL,
	"payload" jsonb NOT NULL,
	"response" jsonb,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "quarantine" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "quarantine_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"inbox_id" integer,
	"kind" varchar(16) NOT NULL,
	"village_code" char(10),
	"external_id" varchar(64),
	"payload" jsonb NOT NULL,
	"errors" jsonb NOT NULL,
	"status" varchar(16) DEFAULT 'open' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "registrations" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "registrations_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"inbox_id" integer,
	"village_code" char(10) NOT NULL,
	"external_id" varchar(64) NOT NULL,
	"service_code" varchar(48) NOT NULL,
	"submitted_at" timestamp with time zone,
	"applicant" jsonb NOT NULL,
	"details" jsonb,
	"status" varchar(16) DEFAULT 'accepted' NOT NULL,
	"errors" jsonb,
	"warnings" jsonb,
	"citizen_id" integer,
	"identity" varchar(16),
	"route_agency" varchar(32),
	"route_level" varchar(16),
	"route_kecamatan" char(6),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "review_cases" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "review_cases_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"kecamatan_code" char(6) NOT NULL,
	"record_kind" varchar(16) NOT NULL,
	"record_id" integer NOT NULL,
	"citizen_id" integer NOT NULL,
	"candidate_citizen_id" integer NOT NULL,
	"score" real,
	"evidence" jsonb,
	"status" varchar(16) DEFAULT 'open' NOT NULL,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sources" (
	"id" varchar(64) PRIMARY KEY NOT NULL,
	"name" text,
	"village_code" char(10),
	"kecamatan_code" char(6),
	"connector" varchar(32) NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"schedule" text,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"cursor" jsonb,
	"last_success_at" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_runs" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "sync_runs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"source_id" varchar(64) NOT NULL,
	"trigger" varchar(16) NOT NULL,
	"status" varchar(16) DEFAULT 'running' NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"pages" integer DEFAULT 0 NOT NULL,
	"records_accepted" integer DEFAULT 0 NOT NULL,
	"records_quarantined" integer DEFAULT 0 NOT NULL,
	"cursor_from" jsonb,
	"cursor_to" jsonb,
	"error" text
);
--> statement-breakpoint
ALTER TABLE "citizen_records" ADD CONSTRAINT "citizen_records_citizen_id_citizens_id_fk" FOREIGN KEY ("citizen_id") REFERENCES "public"."citizens"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_registration_id_registrations_id_fk" FOREIGN KEY ("registration_id") REFERENCES "public"."registrations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quarantine" ADD CONSTRAINT "quarantine_inbox_id_inbox_id_fk" FOREIGN KEY ("inbox_id") REFERENCES "public"."inbox"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "registrations" ADD CONSTRAINT "registrations_inbox_id_inbox_id_fk" FOREIGN KEY ("inbox_id") REFERENCES "public"."inbox"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD CONSTRAINT "sync_runs_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_log_target_idx" ON "audit_log" USING btree ("target_type","target_id");--> statement-breakpoint
CREATE UNIQUE INDEX "citizen_records_record_uq" ON "citizen_records" USING btree ("record_kind","record_id");--> statement-breakpoint
CREATE INDEX "citizen_records_citizen_idx" ON "citizen_records" USING btree ("citizen_id");--> statement-breakpoint
CREATE INDEX "citizens_nik_idx" ON "citizens" USING btree ("nik");--> statement-breakpoint
CREATE INDEX "citizens_village_idx" ON "citizens" USING btree ("village_code");--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_registration_uq" ON "deliveries" USING btree ("registration_id");--> statement-breakpoint
CREATE INDEX "deliveries_queue_idx" ON "deliveries" USING btree ("queue","status","id");--> statement-breakpoint
CREATE UNIQUE INDEX "inbox_idempotency_uq" ON "inbox" USING btree ("api_key_id","idempotency_key") WHERE "inbox"."idempotency_key" is not null;--> statement-breakpoint
CREATE INDEX "quarantine_village_idx" ON "quarantine" USING btree ("village_code","status");--> statement-breakpoint
CREATE UNIQUE INDEX "registrations_village_external_uq" ON "registrations" USING btree ("village_code","external_id");--> statement-breakpoint
CREATE INDEX "registrations_status_idx" ON "registrations" USING btree ("status","updated_at");--> statement-breakpoint
CREATE INDEX "registrations_citizen_idx" ON "registrations" USING btree ("citizen_id");--> statement-breakpoint
CREATE INDEX "review_cases_kecamatan_idx" ON "review_cases" USING btree ("kecamatan_code","status");--> statement-breakpoint
CREATE UNIQUE INDEX "review_cases_record_uq" ON "review_cases" USING btree ("record_kind","record_id","candidate_citizen_id");--> statement-breakpoint
CREATE INDEX "sync_runs_source_idx" ON "sync_runs" USING btree ("source_id","started_at");