CREATE TABLE "login_sessions" (
	"account" text PRIMARY KEY NOT NULL,
	"token" text,
	"obtained_at" timestamp with time zone,
	"failures" integer DEFAULT 0 NOT NULL,
	"first_failure_at" timestamp with time zone
);
