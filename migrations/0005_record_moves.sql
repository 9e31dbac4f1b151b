ALTER TABLE "citizen_records" ADD COLUMN "moved_seq" bigint;--> statement-breakpoint
ALTER TABLE "citizen_records" ADD COLUMN "moved_from" integer;--> statement-breakpoint
CREATE INDEX "citizen_records_moved_idx" ON "citizen_records" USING btree ("moved_seq") WHERE moved_seq is not null;--> statement-breakpoint
CREATE SEQUENCE "citizen_record_moves";--> statement-breakpoint
CREATE FUNCTION "citizen_records_moved"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.moved_seq := nextval('citizen_record_moves');
	NEW.moved_from := OLD.citizen_id;
	RETURN NEW;
END
$$;--> statement-breakpoint
CREATE TRIGGER "citizen_records_moved" BEFORE UPDATE OF "citizen_id" ON "citizen_records"
	FOR EACH ROW WHEN (OLD.citizen_id IS DISTINCT FROM NEW.citizen_id) EXECUTE FUNCTION "citizen_records_moved"();
