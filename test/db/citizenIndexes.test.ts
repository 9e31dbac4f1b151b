import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { createTestDatabase } from '../helpers/database.js';

// The citizen indexes of registrations and resident records hold linked records only (migration 0027):
// a record waiting for identify adds no entry. The lookups by citizen the hub makes (a merge moving a
// citizen's records, the figures of some citizens, a review case's "has registrations") keep the index.
t.test('records without a citizen stay out of the citizen indexes; lookups by citizen still take them', async (t) => {
  const testDb = await createTestDatabase();
  t.teardown(() => testDb.drop());
  const db = testDb.database.db;
  await db.execute(sql`insert into citizens (full_name) select 'Warga ' || g from generate_series(1, 20000) g`);
  await db.execute(sql`
    insert into registrations (village_code, external_id, service_code, applicant, citizen_id)
    select '1812012002', 'r-' || g, 'KIA', '{}', case when g % 4 = 0 then g / 4 end from generate_series(1, 40000) g`);
  await db.execute(sql`
    insert into resident_records (village_code, local_id, full_name, citizen_id, content_hash, channel)
    select '1812012002', 'p-' || g, 'Warga ' || g, case when g % 4 = 0 then g / 4 end, rpad(md5(g::text), 40, '0'), 'push'
    from generate_series(1, 40000) g`);
  await db.execute(sql`analyze citizens, registrations, resident_records`);

  const [sizes] = await rows<{ regs: number; residents: number }>(db, sql`
    select (select count(*)::int from registrations where citizen_id is not null) as regs,
      (select count(*)::int from resident_records where citizen_id is not null) as residents`);
  for (const index of ['registrations_citizen_idx', 'resident_records_citizen_idx']) {
    const [def] = await rows<{ partial: boolean }>(db, sql`select indpred is not null as partial from pg_index where indexrelid = ${index}::regclass`);
    t.ok(def!.partial, `${index} is partial`);
  }
  t.same(sizes, { regs: 10000, residents: 10000 });

  const plan = async (q: ReturnType<typeof sql>) => JSON.stringify(await rows(db, sql`explain (format json) ${q}`));
  t.match(await plan(sql`update registrations set citizen_id = 7 where citizen_id = 9`), /registrations_citizen_idx/, 'a merge moving registrations');
  t.match(await plan(sql`update resident_records set citizen_id = 7 where citizen_id = 9`), /resident_records_citizen_idx/, 'a merge moving residents');
  t.match(await plan(sql`select citizen_id from resident_records r where r.citizen_id = any(${'{1,2,3}'}::int[])`), /resident_records_citizen_idx/, 'figures of some citizens');
  t.match(await plan(sql`select c.id from citizens c where c.id < 10 and exists (select 1 from registrations r where r.citizen_id in (c.id, c.id + 1))`),
    /registrations_citizen_idx/, 'has registrations, for either citizen of a case');
});
