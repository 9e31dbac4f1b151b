-- The inbox keeps each submission's body as received, for audit and replay by hand; the hub never
-- queries into it. As jsonb, Postgres parsed every body into its binary form (keys sorted) although
-- the records are parsed again where they are stored: a third of Postgres' CPU in an HTTP batch push
-- went to jsonb input. As json the body is checked and kept as text, exactly as sent (bench/intakeParts.ts,
-- two alternating pairs: the inbox insert 12.3 -> 3.1 µs of backend CPU a record, the whole batch push
-- 55.6-56.3 -> 46.3-46.5). The rewrite of existing rows takes a moment per GB of inbox.
ALTER TABLE "inbox" ALTER COLUMN "payload" TYPE json USING "payload"::json;--> statement-breakpoint
DO $$
BEGIN
  ALTER TABLE "inbox" ALTER COLUMN "payload" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END $$;
