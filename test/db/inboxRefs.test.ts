import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { createTestDatabase } from '../helpers/database.js';
import { refuser } from '../helpers/refusals.js';

// registrations.inbox_id and quarantine.inbox_id reference inbox(id), checked per statement by triggers
// (migrations 0022, 0024) where a foreign key checked every row: the same refusals, the same SQLSTATE and names.
const testDb = await createTestDatabase();
t.teardown(() => testDb.drop());
const db = testDb.database.db;

const refused = refuser(db);
async function inbox(): Promise<number> {
  const [r] = await rows<{ id: number }>(db, sql`insert into inbox (channel, kind, record_count, payload) values ('push', 'registration', 1, '{}') returning id`);
  return r!.id;
}
const registration = (inboxId: number | null, ext: string) => sql`
  insert into registrations (inbox_id, village_code, external_id, service_code, applicant) values (${inboxId}, '1812012002', ${ext}, 'KIA', '{}')`;
const quarantined = (inboxId: number | null) => sql`
  insert into quarantine (inbox_id, kind, village_code, payload, errors) values (${inboxId}, 'registration', '1812012002', '{}', '[]')`;

t.test('rows referencing an inbox row that exists, or none, are stored; others refused with 23503', async (t) => {
  const id = await inbox();
  t.equal(await refused(registration(id, 'r1')), null);
  t.equal(await refused(registration(null, 'r2')), null);
  t.equal(await refused(quarantined(id)), null);
  t.equal(await refused(quarantined(null)), null);
  t.match(await refused(registration(id + 1000, 'r3')), { code: '23503', constraint: 'registrations_inbox_id_inbox_id_fk' });
  t.match(await refused(quarantined(id + 1000)), { code: '23503', constraint: 'quarantine_inbox_id_inbox_id_fk' });
  // One missing id among many rows refuses the whole statement.
  t.match(await refused(sql`insert into registrations (inbox_id, village_code, external_id, service_code, applicant)
    select case when g = 50 then ${id + 1000}::int else ${id}::int end, '1812012002', 'm' || g, 'KIA', '{}' from generate_series(1, 100) g`),
  { code: '23503', constraint: 'registrations_inbox_id_inbox_id_fk' });
  const [n] = await rows<{ n: number }>(db, sql`select count(*)::int as n from registrations where external_id like 'm%'`);
  t.equal(n!.n, 0, 'nothing of the refused statement is stored');
});

t.test('changing inbox_id is checked when it changes; the upsert of a replay too', async (t) => {
  const a = await inbox();
  const b = await inbox();
  await db.execute(registration(a, 'u1'));
  t.equal(await refused(sql`update registrations set inbox_id = ${b} where external_id = 'u1'`), null);
  t.match(await refused(sql`update registrations set inbox_id = ${b + 1000} where external_id = 'u1'`), { code: '23503', constraint: 'registrations_inbox_id_inbox_id_fk' });
  t.match(await refused(sql`insert into registrations (inbox_id, village_code, external_id, service_code, applicant) values (${b + 1000}, '1812012002', 'u1', 'KIA', '{}')
    on conflict (village_code, external_id) do update set inbox_id = excluded.inbox_id`), { code: '23503', constraint: 'registrations_inbox_id_inbox_id_fk' });
  t.equal(await refused(sql`update registrations set status = 'validated', inbox_id = inbox_id where external_id = 'u1'`), null);
  t.match(await refused(sql`update quarantine set inbox_id = ${b + 1000} where inbox_id is null`), { code: '23503', constraint: 'quarantine_inbox_id_inbox_id_fk' });
});

t.test('a referenced inbox row cannot be deleted or renumbered; an unreferenced one can', async (t) => {
  const used = await inbox();
  const usedByQuarantine = await inbox();
  const unused = await inbox();
  await db.execute(registration(used, 'd1'));
  await db.execute(quarantined(usedByQuarantine));
  t.match(await refused(sql`delete from inbox where id = ${used}`), { code: '23503', constraint: 'registrations_inbox_id_inbox_id_fk' });
  t.match(await refused(sql`delete from inbox where id = ${usedByQuarantine}`), { code: '23503', constraint: 'quarantine_inbox_id_inbox_id_fk' });
  t.match(await refused(sql`update inbox set id = default where id = ${used}`), { code: '23503', constraint: 'registrations_inbox_id_inbox_id_fk' });
  t.equal(await refused(sql`update inbox set response = '{}' where id = ${used}`), null);
  t.equal(await refused(sql`delete from inbox where id = ${unused}`), null);
});
