ALTER TABLE "inbox" ADD COLUMN "request_hash" char(40);--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "registrations" ADD COLUMN "redrives" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "resident_records" ADD COLUMN "redrives" smallint DEFAULT 0 NOT NULL;
