-- citizen_records.citizen_id and deliveries.registration_id keep their foreign-key rule, checked once per
-- statement with one set-based lookup instead of once per row. A foreign key's check is a row trigger
-- that runs its own lookup (with a KEY SHARE lock) for every row: identify writes a citizen link and a
-- delivery for every registration, and these two checks were 42% of the time of identify's write
-- statement (auto_explain, bench --records 30000: 703 ms deliveries, 550 ms citizen_records of 2,965 ms).
-- Here a statement's distinct referenced ids are locked (KEY SHARE, as before) in one index scan and
-- counted; only when one is missing is it looked for, to name it. Refusals keep the foreign key's
-- SQLSTATE 23503, constraint name and message. Changing a row's key is checked per row, only when it
-- changes; deleting or renumbering a referenced row is refused as NO ACTION refused it.
-- The inbox references of migration 0022 move to the same three functions (their own were the same
-- rules written for inbox alone; a push group's many inbox ids are now locked in one scan too).
ALTER TABLE "citizen_records" DROP CONSTRAINT "citizen_records_citizen_id_citizens_id_fk";
--> statement-breakpoint
ALTER TABLE "deliveries" DROP CONSTRAINT "deliveries_registration_id_registrations_id_fk";
--> statement-breakpoint
CREATE FUNCTION ref_missing(tab text, con text, col text, parent text, ref integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"', tab, con
    USING ERRCODE = 'foreign_key_violation', CONSTRAINT = con, TABLE = tab,
      DETAIL = format('Key (%s)=(%s) is not present in table "%s".', col, ref, parent);
END $$;
--> statement-breakpoint
-- AFTER INSERT, per statement. TG_ARGV: constraint, referencing column, referenced table (key id).
-- `id = any(array)` is an index scan whatever the statement's size (a join with the transition table
-- could be planned as a scan of the referenced table).
CREATE FUNCTION refs_check_new() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids integer[];
  locked integer;
  missing integer;
BEGIN
  EXECUTE format('SELECT array(SELECT DISTINCT %I FROM new_rows WHERE %I IS NOT NULL)', TG_ARGV[1], TG_ARGV[1]) INTO ids;
  EXECUTE format('SELECT count(*)::int FROM (SELECT 1 FROM %I x WHERE x.id = any($1) FOR KEY SHARE OF x) s', TG_ARGV[2])
    INTO locked USING ids;
  IF locked < cardinality(ids) THEN
    EXECUTE format('SELECT r FROM unnest($1) r WHERE NOT EXISTS (SELECT 1 FROM %I x WHERE x.id = r) LIMIT 1', TG_ARGV[2])
      INTO missing USING ids;
    PERFORM ref_missing(TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[1], TG_ARGV[2], missing);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- AFTER UPDATE OF the column, per row whose value changed to a value. Same arguments.
CREATE FUNCTION ref_check_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ref integer;
  found_ref boolean;
BEGIN
  EXECUTE format('SELECT ($1).%I', TG_ARGV[1]) INTO ref USING NEW;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I x WHERE x.id = $1 FOR KEY SHARE OF x)', TG_ARGV[2]) INTO found_ref USING ref;
  IF NOT found_ref THEN PERFORM ref_missing(TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[1], TG_ARGV[2], ref); END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- AFTER DELETE or UPDATE OF id on the referenced table, per row: NO ACTION, checked at the end of the
-- statement. TG_ARGV: constraint, referencing table, referencing column.
CREATE FUNCTION refs_keep() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  used boolean;
BEGIN
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I x WHERE x.%I = $1 FOR KEY SHARE OF x)', TG_ARGV[1], TG_ARGV[2]) INTO used USING OLD.id;
  IF used THEN
    RAISE EXCEPTION 'update or delete on table "%" violates foreign key constraint "%" on table "%"', TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[1]
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_ARGV[0], TABLE = TG_ARGV[1],
        DETAIL = format('Key (id)=(%s) is still referenced from table "%s".', OLD.id, TG_ARGV[1]);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER citizen_records_citizen_ref_ins AFTER INSERT ON citizen_records REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION refs_check_new('citizen_records_citizen_id_citizens_id_fk', 'citizen_id', 'citizens');
--> statement-breakpoint
CREATE TRIGGER citizen_records_citizen_ref_upd AFTER UPDATE OF citizen_id ON citizen_records
  FOR EACH ROW WHEN (NEW.citizen_id IS NOT NULL AND NEW.citizen_id IS DISTINCT FROM OLD.citizen_id)
  EXECUTE FUNCTION ref_check_row('citizen_records_citizen_id_citizens_id_fk', 'citizen_id', 'citizens');
--> statement-breakpoint
CREATE TRIGGER deliveries_registration_ref_ins AFTER INSERT ON deliveries REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION refs_check_new('deliveries_registration_id_registrations_id_fk', 'registration_id', 'registrations');
--> statement-breakpoint
CREATE TRIGGER deliveries_registration_ref_upd AFTER UPDATE OF registration_id ON deliveries
  FOR EACH ROW WHEN (NEW.registration_id IS NOT NULL AND NEW.registration_id IS DISTINCT FROM OLD.registration_id)
  EXECUTE FUNCTION ref_check_row('deliveries_registration_id_registrations_id_fk', 'registration_id', 'registrations');
--> statement-breakpoint
CREATE TRIGGER citizens_refs_keep_del AFTER DELETE ON citizens
  FOR EACH ROW EXECUTE FUNCTION refs_keep('citizen_records_citizen_id_citizens_id_fk', 'citizen_records', 'citizen_id');
--> statement-breakpoint
CREATE TRIGGER citizens_refs_keep_upd AFTER UPDATE OF id ON citizens
  FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id) EXECUTE FUNCTION refs_keep('citizen_records_citizen_id_citizens_id_fk', 'citizen_records', 'citizen_id');
--> statement-breakpoint
CREATE TRIGGER registrations_refs_keep_del AFTER DELETE ON registrations
  FOR EACH ROW EXECUTE FUNCTION refs_keep('deliveries_registration_id_registrations_id_fk', 'deliveries', 'registration_id');
--> statement-breakpoint
CREATE TRIGGER registrations_refs_keep_upd AFTER UPDATE OF id ON registrations
  FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id) EXECUTE FUNCTION refs_keep('deliveries_registration_id_registrations_id_fk', 'deliveries', 'registration_id');
--> statement-breakpoint
DROP TRIGGER "registrations_inbox_ref_ins" ON "registrations";
--> statement-breakpoint
DROP TRIGGER "registrations_inbox_ref_upd" ON "registrations";
--> statement-breakpoint
DROP TRIGGER "quarantine_inbox_ref_ins" ON "quarantine";
--> statement-breakpoint
DROP TRIGGER "quarantine_inbox_ref_upd" ON "quarantine";
--> statement-breakpoint
DROP TRIGGER "inbox_refs_keep_del" ON "inbox";
--> statement-breakpoint
DROP TRIGGER "inbox_refs_keep_upd" ON "inbox";
--> statement-breakpoint
DROP FUNCTION inbox_refs_check_new();
--> statement-breakpoint
DROP FUNCTION inbox_ref_check_row();
--> statement-breakpoint
DROP FUNCTION inbox_refs_keep();
--> statement-breakpoint
DROP FUNCTION inbox_ref_missing(integer, text, text);
--> statement-breakpoint
CREATE TRIGGER registrations_inbox_ref_ins AFTER INSERT ON registrations REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION refs_check_new('registrations_inbox_id_inbox_id_fk', 'inbox_id', 'inbox');
--> statement-breakpoint
CREATE TRIGGER registrations_inbox_ref_upd AFTER UPDATE OF inbox_id ON registrations
  FOR EACH ROW WHEN (NEW.inbox_id IS NOT NULL AND NEW.inbox_id IS DISTINCT FROM OLD.inbox_id)
  EXECUTE FUNCTION ref_check_row('registrations_inbox_id_inbox_id_fk', 'inbox_id', 'inbox');
--> statement-breakpoint
CREATE TRIGGER quarantine_inbox_ref_ins AFTER INSERT ON quarantine REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION refs_check_new('quarantine_inbox_id_inbox_id_fk', 'inbox_id', 'inbox');
--> statement-breakpoint
CREATE TRIGGER quarantine_inbox_ref_upd AFTER UPDATE OF inbox_id ON quarantine
  FOR EACH ROW WHEN (NEW.inbox_id IS NOT NULL AND NEW.inbox_id IS DISTINCT FROM OLD.inbox_id)
  EXECUTE FUNCTION ref_check_row('quarantine_inbox_id_inbox_id_fk', 'inbox_id', 'inbox');
--> statement-breakpoint
-- Row triggers of one event fire in name order: registrations' reference is named first, as before.
CREATE TRIGGER inbox_refs_keep_del AFTER DELETE ON inbox
  FOR EACH ROW EXECUTE FUNCTION refs_keep('registrations_inbox_id_inbox_id_fk', 'registrations', 'inbox_id');
--> statement-breakpoint
CREATE TRIGGER inbox_refs_keep_del_quarantine AFTER DELETE ON inbox
  FOR EACH ROW EXECUTE FUNCTION refs_keep('quarantine_inbox_id_inbox_id_fk', 'quarantine', 'inbox_id');
--> statement-breakpoint
CREATE TRIGGER inbox_refs_keep_upd AFTER UPDATE OF id ON inbox
  FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id) EXECUTE FUNCTION refs_keep('registrations_inbox_id_inbox_id_fk', 'registrations', 'inbox_id');
--> statement-breakpoint
CREATE TRIGGER inbox_refs_keep_upd_quarantine AFTER UPDATE OF id ON inbox
  FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id) EXECUTE FUNCTION refs_keep('quarantine_inbox_id_inbox_id_fk', 'quarantine', 'inbox_id');
