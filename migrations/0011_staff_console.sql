CREATE TABLE "staff_users" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
	"username" varchar(64) NOT NULL,
	"full_name" text NOT NULL,
	"role" varchar(16) NOT NULL,
	"village_code" char(10),
	"kecamatan_code" char(6),
	"agency_code" varchar(32),
	"password_hash" text NOT NULL,
	"must_change_password" boolean DEFAULT true NOT NULL,
	"failed_logins" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"last_login_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"disabled_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "staff_users_username_uq" ON "staff_users" USING btree (lower("username"));
--> statement-breakpoint
CREATE TABLE "staff_sessions" (
	"id" char(64) PRIMARY KEY,
	"user_id" integer NOT NULL REFERENCES "staff_users"("id"),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"address" varchar(64),
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "staff_sessions_user_idx" ON "staff_sessions" USING btree ("user_id");
--> statement-breakpoint
CREATE TABLE "staff_login_throttle" (
	"address" varchar(64) PRIMARY KEY,
	"failures" integer DEFAULT 0 NOT NULL,
	"window_start" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_until" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "user_id" integer;
--> statement-breakpoint
CREATE INDEX "audit_log_region_idx" ON "audit_log" USING btree ("region_code", "id");
--> statement-breakpoint
CREATE INDEX "audit_log_user_idx" ON "audit_log" USING btree ("user_id", "id") WHERE "user_id" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "citizens_kk_idx" ON "citizens" USING btree ("kk");
--> statement-breakpoint
CREATE INDEX "citizens_name_prefix_idx" ON "citizens" USING btree (lower("full_name") text_pattern_ops);
--> statement-breakpoint
CREATE INDEX "inbox_village_received_idx" ON "inbox" USING btree ("village_code", "received_at");
