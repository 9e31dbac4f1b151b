-- A batch push keeps its whole body (≈400 KB for 1,000 registrations) as inbox.payload, and pglz
-- compressing it when the row is stored was ≈10 µs of Postgres CPU per record, a sixth of the server's
-- share of an HTTP batch push (bench/intakeParts.ts: the inbox insert 16 -> 9.5 and the response update
-- 4.3 -> 2.7 µs of backend CPU a record with lz4; WAL 1,160 B a record as with pglz, 1,630 uncompressed).
-- Only new values are lz4: stored ones stay pglz, and both read the same. A server built without lz4
-- (PGlite) keeps pglz.
DO $$
BEGIN
  ALTER TABLE "inbox" ALTER COLUMN "payload" SET COMPRESSION lz4;
  ALTER TABLE "inbox" ALTER COLUMN "response" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END $$;
