import t from 'tap';
import type { Test } from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { loadConfig } from '../../src/config/load.js';
import { rebuildStats, refreshStats } from '../../src/stats/refresh.js';
import { createTestDatabase } from '../helpers/database.js';
import { insertPeople, snapshot, type TestPerson } from './fixtures.js';

const tdb = await createTestDatabase();
t.teardown(() => tdb.drop());
const db = tdb.database.db;
const config = loadConfig('config');
const HERE = '1812012002';
const THERE = '1812052006';

let serial = 0;
function person(village: string): TestPerson {
  serial += 1;
  const golden = { villageCode: village, nik: null, kk: `18120100000${String(serial).padStart(3, '0')}01`.slice(0, 16), fullName: `Warga ${serial}`, sex: 'F' as const, birthDate: '2023-05-01' };
  return { golden, records: [{ ...golden, localId: `U${serial}` }] };
}

async function marks() {
  const citizens = (await rows<{ id: number }>(db, sql`select citizen_id as id from stats_dirty_citizens order by 1`)).map((r) => r.id);
  const villages = (await rows<{ v: string }>(db, sql`select village_code as v from stats_dirty_villages order by 1`)).map((r) => r.v);
  return { citizens, villages };
}

const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);

/** The citizen_records row of each citizen's (single) resident record. */
async function linkOf(citizen: number): Promise<{ id: number; record_id: number }> {
  const [r] = await rows<{ id: number; record_id: number }>(db, sql`select id, record_id from citizen_records where citizen_id = ${citizen} order by id limit 1`);
  return r!;
}

/** Applies the marks as the refresher does and compares every figure with a rebuild from the source tables. */
async function incrementalEqualsRebuild(t: Test, what: string) {
  const inc = await refreshStats(db, config);
  t.ok(inc.ran, `${what}: refreshed`);
  const incremental = await snapshot(db);
  await rebuildStats(db, config);
  t.same(incremental, await snapshot(db), `${what}: incremental equals rebuilt`);
  t.same(await marks(), { citizens: [], villages: [] }, `${what}: no mark left`);
}

t.test('statement triggers on the record tables: one per event', async (t) => {
  const triggers = await rows<{ tbl: string; name: string }>(db, sql`
    select c.relname as tbl, tg.tgname as name from pg_trigger tg join pg_class c on c.oid = tg.tgrelid
    where c.relname in ('resident_records', 'citizen_records') and tg.tgname like 'stats_%' order by 1, 2`);
  t.same(triggers.map((r) => `${r.tbl}.${r.name}`), [
    'citizen_records.stats_citizen_records_del', 'citizen_records.stats_citizen_records_ins', 'citizen_records.stats_citizen_records_upd',
    'resident_records.stats_resident_records_del', 'resident_records.stats_resident_records_ins', 'resident_records.stats_resident_records_upd',
  ]);
});

t.test('citizen_records: an update marks the citizens a record left and entered, not the ones it stayed with', async (t) => {
  const [a, b, c, d, e] = await insertPeople(db, [person(HERE), person(HERE), person(HERE), person(THERE), person(THERE)]) as [number, number, number, number, number];
  await rebuildStats(db, config);
  t.same(await marks(), { citizens: [], villages: [] }, 'a rebuild leaves no marks');

  // One statement, as a bulk write does: a's record moves to b, c's is relinked to c (link changes only).
  const la = await linkOf(a);
  const lc = await linkOf(c);
  await db.execute(sql`update citizen_records set citizen_id = case when id = ${la.id} then ${b}::int else citizen_id end, link = 'manual'
    where id in (${la.id}, ${lc.id})`);
  t.same((await marks()).citizens, sorted([a, b]), 'the record that moved marks both its citizens; the one that stayed marks none');
  await incrementalEqualsRebuild(t, 'update');

  // The identify stage's upsert: d's record identified again to d (no move), e's record identified to c.
  const ld = await linkOf(d);
  const le = await linkOf(e);
  await db.execute(sql`
    insert into citizen_records (citizen_id, record_kind, record_id, village_code, link, score)
    values (${d}, 'resident', ${ld.record_id}, ${THERE}, 'match', 1), (${c}, 'resident', ${le.record_id}, ${THERE}, 'match', 0.9)
    on conflict (record_kind, record_id) do update set citizen_id = excluded.citizen_id, link = excluded.link, score = excluded.score`);
  t.same((await marks()).citizens, sorted([c, e]), 'upsert: the record that moved marks both citizens; the re-identified one none');
  const [moved] = await rows<{ n: number }>(db, sql`select count(*)::int as n from citizen_records where id in (${ld.id}, ${le.id}) and moved_seq is not null`);
  t.equal(moved!.n, 1, 'only the moved record is replayed to the identity index');
  await incrementalEqualsRebuild(t, 'upsert');

  // An update that changes nothing that matters to the figures marks nothing at all.
  await db.execute(sql`update citizen_records set score = 0.5 where citizen_id in (${b}, ${d})`);
  t.same(await marks(), { citizens: [], villages: [] }, 'no citizen_id changed: no mark');

  await db.execute(sql`delete from citizen_records where id = ${ld.id}`);
  t.same((await marks()).citizens, [d], 'a deleted link marks its citizen');
  await incrementalEqualsRebuild(t, 'delete');
});

t.test('resident_records: an update marks the citizens and villages on both sides; figures follow', async (t) => {
  const [a, b, c, d] = await insertPeople(db, [person(HERE), person(HERE), person(THERE), person(THERE)]) as [number, number, number, number];
  await refreshStats(db, config);
  const recordOf = async (citizen: number) => (await linkOf(citizen)).record_id;
  const people = async () => (await rows<{ id: number }>(db, sql`select citizen_id as id from stats_people where citizen_id = any(array[${a}, ${b}, ${c}, ${d}]::int[]) order by 1`)).map((r) => r.id);
  t.same(await people(), sorted([a, b, c, d]), 'all four are living residents');

  // a's only record moves to c (a merge's second half): a leaves the figures, HERE loses a resident.
  const ra = await recordOf(a);
  const rb = await recordOf(b);
  await db.execute(sql`update resident_records set citizen_id = case when id = ${ra} then ${c}::int else citizen_id end, updated_at = now()
    where id in (${ra}, ${rb})`);
  t.same(await marks(), { citizens: sorted([a, b, c]), villages: [HERE] }, 'old and new citizen of the moved record, and the citizen of the one updated in place');
  await incrementalEqualsRebuild(t, 'move');
  t.same(await people(), sorted([b, c, d]), 'the citizen left without a record is gone from the figures');

  // A record changing village marks both villages.
  const rd = await recordOf(d);
  await db.execute(sql`update resident_records set village_code = ${HERE}, updated_at = now() where id = ${rd}`);
  t.same(await marks(), { citizens: [d], villages: [HERE, THERE] }, 'the village left and the village entered');
  await incrementalEqualsRebuild(t, 'village');

  // A death recorded in place: same citizen and village on both sides.
  await db.execute(sql`update resident_records set state = 'dead', status_dasar = 2, updated_at = now() where id = ${rb}`);
  t.same(await marks(), { citizens: [b], villages: [HERE] });
  await incrementalEqualsRebuild(t, 'death');
  t.same(await people(), sorted([c, d]));

  await db.execute(sql`delete from resident_records where id = ${rd}`);
  t.same(await marks(), { citizens: [d], villages: [HERE] }, 'a deleted record marks its citizen and village');
  await incrementalEqualsRebuild(t, 'delete');
  t.same(await people(), [c]);
});
