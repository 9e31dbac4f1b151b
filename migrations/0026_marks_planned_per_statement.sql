-- The mark triggers that join a transition table to a growing table ran a static statement, which
-- PL/pgSQL plans once per connection and keeps until the table is next analyzed. Planned while
-- registrations held a few thousand rows, the delivery marks kept a hash join over a sequential scan of
-- the whole table: 4-15 ms for a slice of 250 deliveries, more than the insert itself, and growing
-- with the table until the next ANALYZE (auto_explain during `npm run bench`). EXECUTE plans each
-- statement with the table's current size and the slice's own row count: an index probe per delivery.
CREATE OR REPLACE FUNCTION stats_mark_weeks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'registrations' THEN
    INSERT INTO stats_dirty_weeks SELECT DISTINCT date_trunc('week', created_at at time zone 'UTC')::date FROM new_rows ON CONFLICT DO NOTHING;
  ELSE
    EXECUTE 'INSERT INTO stats_dirty_weeks SELECT DISTINCT date_trunc(''week'', g.created_at at time zone ''UTC'')::date
      FROM new_rows d JOIN registrations g ON g.id = d.registration_id ON CONFLICT DO NOTHING';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION stats_mark_program_participants() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'INSERT INTO stats_dirty_participants SELECT DISTINCT p.id FROM new_rows n
    JOIN aid_participants p ON p.village_code = n.village_code AND p.program_local_id = n.local_id ON CONFLICT DO NOTHING';
  RETURN NULL;
END $$;
