import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { createTestDatabase } from '../helpers/database.js';
import { refusalOf, refuser, type Refusal } from '../helpers/refusals.js';

// citizen_records.citizen_id references citizens(id) and deliveries.registration_id registrations(id),
// checked per statement by triggers (migration 0024) where a foreign key checked every row: the same
// refusals, the same SQLSTATE and constraint names, and the referenced rows still locked against deletion.
const testDb = await createTestDatabase();
t.teardown(() => testDb.drop());
const db = testDb.database.db;
const LINK_FK = 'citizen_records_citizen_id_citizens_id_fk';
const DELIVERY_FK = 'deliveries_registration_id_registrations_id_fk';

const refused = refuser(db);
let seq = 0;
async function citizen(): Promise<number> {
  const [r] = await rows<{ id: number }>(db, sql`insert into citizens (full_name, village_code) values ('Siti Aminah', '1812012002') returning id`);
  return r!.id;
}
async function registration(): Promise<number> {
  const [r] = await rows<{ id: number }>(db, sql`
    insert into registrations (village_code, external_id, service_code, applicant) values ('1812012002', ${`rr-${++seq}`}, 'KIA', '{}') returning id`);
  return r!.id;
}
const link = (citizenId: number, recordId: number) => sql`
  insert into citizen_records (citizen_id, record_kind, record_id, village_code, link) values (${citizenId}, 'registration', ${recordId}, '1812012002', 'new')`;
const delivery = (registrationId: number) => sql`
  insert into deliveries (registration_id, agency_code, level, queue) values (${registrationId}, 'DISDUKCAPIL', 'kabupaten', 'kab:DISDUKCAPIL')`;

t.test('rows referencing a row that exists are stored; others refused with 23503 naming the missing key', async (t) => {
  const c = await citizen();
  const r = await registration();
  t.equal(await refused(link(c, 1)), null);
  t.equal(await refused(delivery(r)), null);
  t.match(await refused(link(c + 1000, 2)), { code: '23503', constraint: LINK_FK, detail: `Key (citizen_id)=(${c + 1000}) is not present in table "citizens".` });
  t.match(await refused(delivery(r + 1000)), { code: '23503', constraint: DELIVERY_FK, detail: `Key (registration_id)=(${r + 1000}) is not present in table "registrations".` });
  // One missing id among many rows, several rows to one citizen: the whole statement is refused.
  t.match(await refused(sql`insert into citizen_records (citizen_id, record_kind, record_id, link)
    select case when g = 50 then ${c + 1000}::int else ${c}::int end, 'resident', g, 'match' from generate_series(1, 100) g`),
  { code: '23503', constraint: LINK_FK, detail: `Key (citizen_id)=(${c + 1000}) is not present in table "citizens".` });
  const [n] = await rows<{ n: number }>(db, sql`select count(*)::int as n from citizen_records where record_kind = 'resident'`);
  t.equal(n!.n, 0, 'nothing of the refused statement is stored');
  // A citizen inserted by the same statement as its link is there when the link is checked.
  t.equal(await refused(sql`with c as (insert into citizens (full_name) values ('Budi') returning id)
    insert into citizen_records (citizen_id, record_kind, record_id, link) select id, 'registration', 3, 'new' from c`), null);
});

t.test('changing the reference is checked when it changes; the upsert of a re-identified record too', async (t) => {
  const a = await citizen();
  const b = await citizen();
  await db.execute(link(a, 10));
  t.equal(await refused(sql`update citizen_records set citizen_id = ${b} where record_id = 10`), null);
  t.match(await refused(sql`update citizen_records set citizen_id = ${b + 1000} where record_id = 10`), { code: '23503', constraint: LINK_FK, detail: `Key (citizen_id)=(${b + 1000}) is not present in table "citizens".` });
  t.match(await refused(sql`insert into citizen_records (citizen_id, record_kind, record_id, link) values (${b + 1000}, 'registration', 10, 'match')
    on conflict (record_kind, record_id) do update set citizen_id = excluded.citizen_id`), { code: '23503', constraint: LINK_FK });
  t.equal(await refused(sql`update citizen_records set link = 'match', citizen_id = citizen_id where record_id = 10`), null);
  const r = await registration();
  await db.execute(delivery(r));
  t.match(await refused(sql`update deliveries set registration_id = ${r + 1000} where registration_id = ${r}`), { code: '23503', constraint: DELIVERY_FK });
  t.equal(await refused(sql`update deliveries set status = 'claimed' where registration_id = ${r}`), null);
});

t.test('a referenced row cannot be deleted or renumbered; an unreferenced one can', async (t) => {
  const used = await citizen();
  const unused = await citizen();
  await db.execute(link(used, 20));
  t.match(await refused(sql`delete from citizens where id = ${used}`), { code: '23503', constraint: LINK_FK, detail: `Key (id)=(${used}) is still referenced from table "citizen_records".` });
  t.match(await refused(sql`update citizens set id = default where id = ${used}`), { code: '23503', constraint: LINK_FK });
  t.equal(await refused(sql`update citizens set full_name = 'Siti' where id = ${used}`), null);
  t.equal(await refused(sql`delete from citizens where id = ${unused}`), null);
  const r = await registration();
  const free = await registration();
  await db.execute(delivery(r));
  t.match(await refused(sql`delete from registrations where id = ${r}`), { code: '23503', constraint: DELIVERY_FK });
  t.equal(await refused(sql`delete from registrations where id = ${free}`), null);
});

t.test('a link keeps its citizen from being deleted by another transaction until it commits', async (t) => {
  const c = await citizen();
  let settled = false;
  let other: Promise<Refusal | null> | undefined;
  await db.transaction(async (tx) => {
    await tx.execute(link(c, 30));
    // Another connection's delete waits for the KEY SHARE lock the check took, then finds the link.
    other = db.execute(sql`delete from citizens where id = ${c}`).then(() => null, refusalOf).finally(() => { settled = true; });
    await new Promise((r) => setTimeout(r, 300));
    t.notOk(settled, 'the delete waits for the transaction that links the citizen');
  });
  t.same(await other, { code: '23503', constraint: LINK_FK, detail: `Key (id)=(${c}) is still referenced from table "citizen_records".` });
});
