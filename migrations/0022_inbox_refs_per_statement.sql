-- registrations.inbox_id and quarantine.inbox_id keep their foreign-key rule, checked once per
-- statement instead of once per row. A foreign key's check is a row trigger running a lookup with a
-- KEY SHARE lock for every row inserted: for a batch push, 770 lookups of the same inbox row, ≈20 µs of
-- Postgres CPU per registration and ≈5 per quarantined record, a third of the server's share of an HTTP
-- batch push (bench/intakeParts.ts). The triggers below check each distinct inbox id of a statement
-- once, with the same lookup and lock, and raise what the foreign key raised (SQLSTATE 23503, same
-- constraint names). Changing a row's inbox_id (a replayed registration) is checked per row, only when
-- it changes; deleting or renumbering a referenced inbox row is refused as NO ACTION refused it.
ALTER TABLE "registrations" DROP CONSTRAINT "registrations_inbox_id_inbox_id_fk";
--> statement-breakpoint
ALTER TABLE "quarantine" DROP CONSTRAINT "quarantine_inbox_id_inbox_id_fk";
--> statement-breakpoint
CREATE FUNCTION inbox_ref_missing(ref integer, tab text, con text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"', tab, con
    USING ERRCODE = 'foreign_key_violation', CONSTRAINT = con, TABLE = tab,
      DETAIL = format('Key (inbox_id)=(%s) is not present in table "inbox".', ref);
END $$;
--> statement-breakpoint
-- AFTER INSERT, per statement: TG_ARGV[0] is the constraint's name.
CREATE FUNCTION inbox_refs_check_new() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE ref integer;
BEGIN
  FOR ref IN SELECT DISTINCT inbox_id FROM new_rows WHERE inbox_id IS NOT NULL LOOP
    PERFORM 1 FROM inbox x WHERE x.id = ref FOR KEY SHARE OF x;
    IF NOT FOUND THEN PERFORM inbox_ref_missing(ref, TG_TABLE_NAME, TG_ARGV[0]); END IF;
  END LOOP;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- AFTER UPDATE OF inbox_id, per row whose inbox_id changed to a value.
CREATE FUNCTION inbox_ref_check_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM inbox x WHERE x.id = NEW.inbox_id FOR KEY SHARE OF x;
  IF NOT FOUND THEN PERFORM inbox_ref_missing(NEW.inbox_id, TG_TABLE_NAME, TG_ARGV[0]); END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- AFTER DELETE or UPDATE OF id on inbox, per row: NO ACTION, checked at the end of the statement.
CREATE FUNCTION inbox_refs_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM registrations x WHERE x.inbox_id = OLD.id FOR KEY SHARE OF x) THEN
    RAISE EXCEPTION 'update or delete on table "inbox" violates foreign key constraint "registrations_inbox_id_inbox_id_fk" on table "registrations"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'registrations_inbox_id_inbox_id_fk', TABLE = 'registrations',
        DETAIL = format('Key (id)=(%s) is still referenced from table "registrations".', OLD.id);
  END IF;
  IF EXISTS (SELECT 1 FROM quarantine x WHERE x.inbox_id = OLD.id FOR KEY SHARE OF x) THEN
    RAISE EXCEPTION 'update or delete on table "inbox" violates foreign key constraint "quarantine_inbox_id_inbox_id_fk" on table "quarantine"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'quarantine_inbox_id_inbox_id_fk', TABLE = 'quarantine',
        DETAIL = format('Key (id)=(%s) is still referenced from table "quarantine".', OLD.id);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER registrations_inbox_ref_ins AFTER INSERT ON registrations REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION inbox_refs_check_new('registrations_inbox_id_inbox_id_fk');
--> statement-breakpoint
CREATE TRIGGER registrations_inbox_ref_upd AFTER UPDATE OF inbox_id ON registrations
  FOR EACH ROW WHEN (NEW.inbox_id IS NOT NULL AND NEW.inbox_id IS DISTINCT FROM OLD.inbox_id) EXECUTE FUNCTION inbox_ref_check_row('registrations_inbox_id_inbox_id_fk');
--> statement-breakpoint
CREATE TRIGGER quarantine_inbox_ref_ins AFTER INSERT ON quarantine REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION inbox_refs_check_new('quarantine_inbox_id_inbox_id_fk');
--> statement-breakpoint
CREATE TRIGGER quarantine_inbox_ref_upd AFTER UPDATE OF inbox_id ON quarantine
  FOR EACH ROW WHEN (NEW.inbox_id IS NOT NULL AND NEW.inbox_id IS DISTINCT FROM OLD.inbox_id) EXECUTE FUNCTION inbox_ref_check_row('quarantine_inbox_id_inbox_id_fk');
--> statement-breakpoint
CREATE TRIGGER inbox_refs_keep_del AFTER DELETE ON inbox FOR EACH ROW EXECUTE FUNCTION inbox_refs_keep();
--> statement-breakpoint
CREATE TRIGGER inbox_refs_keep_upd AFTER UPDATE OF id ON inbox FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id) EXECUTE FUNCTION inbox_refs_keep();
