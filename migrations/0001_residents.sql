CREATE TABLE "resident_history" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "resident_history_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"resident_id" integer NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"change" varchar(16) NOT NULL,
	"diff" jsonb,
	"inbox_id" integer
);
--> statement-breakpoint
CREATE TABLE "resident_records" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "resident_records_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"village_code" char(10) NOT NULL,
	"local_id" varchar(40) NOT NULL,
	"nik" char(16),
	"kk" char(16),
	"full_name" text NOT NULL,
	"sex" char(1),
	"birth_date" date,
	"birth_place" text,
	"mother_name" text,
	"father_name" text,
	"address" text,
	"dusun" text,
	"rt" varchar(10),
	"rw" varchar(10),
	"religion" smallint,
	"marital_status" smallint,
	"family_role" smallint,
	"occupation" smallint,
	"education" smallint,
	"status_dasar" smallint DEFAULT 1 NOT NULL,
	"state" varchar(16) DEFAULT 'active' NOT NULL,
	"extra" jsonb,
	"warnings" jsonb,
	"content_hash" char(40) NOT NULL,
	"channel" varchar(16) NOT NULL,
	"source_id" varchar(64),
	"inbox_id" integer,
	"status" varchar(16) DEFAULT 'accepted' NOT NULL,
	"citizen_id" integer,
	"source_updated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "resident_history" ADD CONSTRAINT "resident_history_resident_id_resident_records_id_fk" FOREIGN KEY ("resident_id") REFERENCES "public"."resident_records"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "resident_history_resident_idx" ON "resident_history" USING btree ("resident_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "resident_records_village_local_uq" ON "resident_records" USING btree ("village_code","local_id");--> statement-breakpoint
CREATE INDEX "resident_records_nik_idx" ON "resident_records" USING btree ("nik");--> statement-breakpoint
CREATE INDEX "resident_records_status_idx" ON "resident_records" USING btree ("status","updated_at");--> statement-breakpoint
CREATE INDEX "resident_records_citizen_idx" ON "resident_records" USING btree ("citizen_id");