-- One statement trigger per table for updates instead of two (migration 0015 marked the new rows and the
-- old rows in two triggers, four inserts into the dirty tables per statement). The identify stage's
-- write statement updates resident_records and upserts citizen_records in every batch, so both fire there.
CREATE FUNCTION stats_mark_resident_records_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Same marks as stats_mark_records_new() and stats_mark_records_old() together: the citizens and
  -- villages a record left and the ones it is in now, each value once.
  INSERT INTO stats_dirty_citizens
    SELECT citizen_id FROM old_rows WHERE citizen_id IS NOT NULL
    UNION SELECT citizen_id FROM new_rows WHERE citizen_id IS NOT NULL
    ON CONFLICT DO NOTHING;
  INSERT INTO stats_dirty_villages
    SELECT village_code FROM old_rows WHERE village_code IS NOT NULL
    UNION SELECT village_code FROM new_rows WHERE village_code IS NOT NULL
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- A citizen_records row says which citizen a record belongs to; the marks read only its citizen_id, and
-- no figure reads anything else of citizen_records. An update that leaves citizen_id as it was (a
-- record identified again to the same citizen, a review changing link) would mark the same citizen on
-- both sides for nothing: only rows whose citizen_id changed are marked, on both sides. A full join,
-- so a row without its partner (an id changed) is marked as before.
CREATE FUNCTION stats_mark_citizen_records_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stats_dirty_citizens
    SELECT DISTINCT m.citizen_id
    FROM old_rows o FULL JOIN new_rows n ON n.id = o.id
    CROSS JOIN LATERAL (VALUES (o.citizen_id), (n.citizen_id)) AS m(citizen_id)
    WHERE o.citizen_id IS DISTINCT FROM n.citizen_id AND m.citizen_id IS NOT NULL
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
--> statement-breakpoint
DROP TRIGGER "stats_resident_records_upd_new" ON "resident_records";
--> statement-breakpoint
DROP TRIGGER "stats_resident_records_upd_old" ON "resident_records";
--> statement-breakpoint
CREATE TRIGGER stats_resident_records_upd AFTER UPDATE ON resident_records REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_resident_records_upd();
--> statement-breakpoint
DROP TRIGGER "stats_citizen_records_upd_new" ON "citizen_records";
--> statement-breakpoint
DROP TRIGGER "stats_citizen_records_upd_old" ON "citizen_records";
--> statement-breakpoint
CREATE TRIGGER stats_citizen_records_upd AFTER UPDATE ON citizen_records REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_citizen_records_upd();
