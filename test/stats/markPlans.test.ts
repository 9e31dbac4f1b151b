import t from 'tap';
import postgres from 'postgres';
import { createTestDatabase } from '../helpers/database.js';

// A delivery marks the week of its registration: a join of the inserted rows to registrations, inside
// a trigger. PL/pgSQL kept a static statement's plan for the connection's life (until the next
// ANALYZE): planned while registrations was small, it went on reading the whole table for every slice
// of deliveries as the table grew. The plan must follow the table's size as it is now.
const tdb = await createTestDatabase();
t.teardown(() => tdb.drop());

t.test('the delivery week mark probes registrations by key after the table grew, with no ANALYZE between', async (t) => {
  const plans: string[] = [];
  const conn = postgres(tdb.url, { max: 1, onnotice: (n) => { if (n.severity === 'LOG') plans.push(String(n.message)); } });
  t.teardown(() => conn.end());
  const register = (from: number, to: number) => conn`
    insert into registrations (village_code, external_id, service_code, applicant, status)
    select '1812012002', 'mp-' || g, 'KTP_EL_BARU', '{}'::jsonb, 'identified' from generate_series(${from}::int, ${to}::int) g`;
  const deliver = (ids: number[]) => conn`
    insert into deliveries (registration_id, agency_code, level, queue)
    select id, 'disdukcapil', 'kabupaten', 'kab:disdukcapil' from registrations where id = any(${ids}::int[])`;

  // The first deliveries, into a table of 20 registrations: the mark's plan is made on this connection.
  await register(1, 20);
  const first = (await conn<{ id: number }[]>`select id from registrations order by id limit 5`).map((r) => r.id);
  await deliver(first);
  // The table grows 1,500-fold; nothing analyzes it.
  await register(21, 30_000);
  const [never] = await conn<{ n: number }[]>`select reltuples::int as n from pg_class where relname = 'registrations'`;
  t.ok(never!.n < 1000, `registrations not analyzed since it was small (reltuples ${never!.n})`);

  await conn`load 'auto_explain'`;
  await conn`set auto_explain.log_min_duration = 0`;
  await conn`set auto_explain.log_nested_statements = on`;
  await conn`set client_min_messages = log`;
  const later = (await conn<{ id: number }[]>`select id from registrations order by id desc limit 10`).map((r) => r.id);
  await deliver(later);
  await conn`set client_min_messages = notice`;

  const mark = plans.find((p) => p.includes('stats_dirty_weeks'));
  t.ok(mark, 'the mark statement was explained');
  t.notMatch(mark ?? '', /Seq Scan on registrations/, 'no scan of the whole registrations table');
  t.match(mark ?? '', /Index (Only )?Scan using registrations_pkey on registrations/, 'a probe of each registration by key');
  const [weeks] = await conn<{ n: number }[]>`select count(distinct week)::int as n from stats_dirty_weeks`;
  t.equal(weeks!.n, 1, 'the week is marked');
});
