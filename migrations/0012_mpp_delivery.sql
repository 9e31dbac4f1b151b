CREATE TABLE "webhook_endpoints" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "webhook_endpoints_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"kind" varchar(16) NOT NULL,
	"agency_code" varchar(32),
	"kecamatan_code" char(6),
	"village_code" char(10),
	"url" text NOT NULL,
	"secret" text NOT NULL,
	"previous_secret" text,
	"previous_secret_until" timestamp with time zone,
	"max_in_flight" smallint DEFAULT 16 NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_endpoints_agency_uq" ON "webhook_endpoints" USING btree ("agency_code",coalesce("kecamatan_code", '')) WHERE "kind" = 'agency';--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_endpoints_village_uq" ON "webhook_endpoints" USING btree ("village_code") WHERE "kind" = 'village';--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "push_endpoint_id" integer;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "push_state" varchar(16);--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "push_attempts" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "push_generation" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "next_attempt_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "push_lease_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "first_attempt_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "last_error" varchar(48);--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "answer_status" varchar(16);--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "answer_document_number" varchar(100);--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "answer_reason" text;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "answered_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "deliveries_push_unassigned_idx" ON "deliveries" USING btree ("agency_code","id") WHERE "status" = 'waiting' AND "push_state" IS NULL;--> statement-breakpoint
CREATE INDEX "deliveries_push_due_idx" ON "deliveries" USING btree ("push_endpoint_id","next_attempt_at") WHERE "push_state" IN ('pending', 'sending');--> statement-breakpoint
CREATE INDEX "deliveries_push_failed_idx" ON "deliveries" USING btree ("push_endpoint_id","id") WHERE "push_state" = 'failed';--> statement-breakpoint
CREATE TABLE "webhook_attempts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "webhook_attempts_id_seq" INCREMENT BY 1 MINVALUE 1 START WITH 1 CACHE 1),
	"endpoint_id" integer NOT NULL,
	"delivery_id" integer,
	"event_id" bigint,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"outcome" varchar(16) NOT NULL,
	"response_code" smallint,
	"latency_ms" integer NOT NULL,
	"error" varchar(48)
);
--> statement-breakpoint
CREATE INDEX "webhook_attempts_endpoint_idx" ON "webhook_attempts" USING btree ("endpoint_id","id");--> statement-breakpoint
CREATE INDEX "webhook_attempts_delivery_idx" ON "webhook_attempts" USING btree ("delivery_id") WHERE "delivery_id" IS NOT NULL;--> statement-breakpoint
CREATE TABLE "registration_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "registration_events_id_seq" INCREMENT BY 1 MINVALUE 1 START WITH 1 CACHE 1),
	"registration_id" integer NOT NULL,
	"delivery_id" integer,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"status" varchar(16) NOT NULL,
	"document_number" varchar(100),
	"reason" text,
	"actor" text NOT NULL,
	"channel" varchar(16) NOT NULL,
	"village_code" char(10) NOT NULL,
	"push_state" varchar(16),
	"push_attempts" smallint DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"push_lease_until" timestamp with time zone,
	"first_attempt_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "registration_events_registration_idx" ON "registration_events" USING btree ("registration_id","id");--> statement-breakpoint
CREATE INDEX "registration_events_push_due_idx" ON "registration_events" USING btree ("village_code","next_attempt_at") WHERE "push_state" IN ('pending', 'sending');--> statement-breakpoint
CREATE INDEX "registrations_village_updated_idx" ON "registrations" USING btree ("village_code","updated_at","id");
