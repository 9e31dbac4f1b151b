-- A rejected record finds its open quarantine entry (quarantineOnce) by this index, not by reading every
-- open entry of its village: a batch push of 1,000 records with ~230 rejected compared each against all
-- of the village's open entries' payloads (jsonb equality), so the lookup grew with the quarantine and
-- took half of Postgres' time in an HTTP batch push of 20 s. jsonb's text form is canonical (keys
-- ordered, whitespace fixed), so equal payloads have equal md5s.
CREATE INDEX "quarantine_open_payload_idx" ON "quarantine" USING btree ("kind", md5("payload"::text)) WHERE "status" = 'open';
