ALTER TABLE "resident_records" ADD COLUMN "temporary_nik" varchar(16);--> statement-breakpoint
CREATE TABLE "opendk_uploads" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "opendk_uploads_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"api_key_id" integer NOT NULL,
	"village_code" char(10),
	"inbox_id" integer,
	"outcome" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"reported_at" timestamp with time zone
);--> statement-breakpoint
CREATE INDEX "opendk_uploads_unreported_idx" ON "opendk_uploads" USING btree ("api_key_id","created_at") WHERE reported_at is null;
