import t from 'tap';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { loadConfig } from '../../src/config/load.js';
import { rebuildStats, refreshStats, vacuumMarks } from '../../src/stats/refresh.js';
import { createTestDatabase } from '../helpers/database.js';
import { insertPeople, insertRegistration, snapshot, type TestPerson } from './fixtures.js';

// The refresher takes the dirty marks (deletes them) at the start of its transaction and commits
// seconds later. Writers (intake, identify) mark what they change meanwhile: they must neither wait for
// that commit nor lose their marks to it.
const tdb = await createTestDatabase();
t.teardown(() => tdb.drop());
const db = tdb.database.db;
const config = loadConfig('config');
const VILLAGE = '1812012002';

const person = (n: number): TestPerson => {
  const golden = { villageCode: VILLAGE, nik: null, kk: `181201000000${String(n).padStart(2, '0')}01`.slice(0, 16), fullName: `Warga ${n}`, sex: 'F' as const, birthDate: '2020-02-02' };
  return { golden, records: [{ ...golden, localId: `W${n}` }] };
};
const registration = (externalId: string) => ({ village: VILLAGE, externalId, service: 'KTP_EL_BARU', agency: 'disdukcapil', daysAgo: 0, ackMinutes: null });

t.test('the mark tables have no unique index (a unique one makes a writer wait on the refresher)', async (t) => {
  const unique = await rows<{ name: string }>(db, sql`
    select i.indexrelid::regclass::text as name from pg_index i
    where i.indrelid::regclass::text like 'stats_dirty_%' and i.indisunique`);
  t.same(unique, []);
});

t.test('writers mark the registration, village and citizen a refresh in progress took: at once, and the next refresh reads the marks', async (t) => {
  await insertRegistration(db, registration('mw-1'));
  await insertPeople(db, [person(1)]);
  await refreshStats(db, config);
  await insertRegistration(db, registration('mw-2'));
  const [first] = await insertPeople(db, [person(2)]);

  // A refresh's first steps, held open: it has taken every mark and has not committed.
  const holder = postgres(tdb.url, { max: 1, onnotice: () => {} });
  t.teardown(() => holder.end());
  let release!: () => void;
  const released = new Promise<void>((r) => { release = r; });
  let took!: (n: number) => void;
  const taken = new Promise<number>((r) => { took = r; });
  const holding = holder.begin(async (tx) => {
    const gone = await tx`with a as (delete from stats_dirty_registrations returning 1), b as (delete from stats_dirty_villages returning 1),
      c as (delete from stats_dirty_citizens returning 1) select (select count(*) from a) + (select count(*) from b) + (select count(*) from c) as n`;
    took(Number(gone[0]!.n));
    await released;
  });
  t.ok(await taken > 0, 'the held refresh took the marks of the writes before it');

  // Writers of a registration in the same week and village and of a new citizen, while it holds them; a lock wait fails them.
  let second = 0;
  try {
    await db.transaction(async (tx) => {
      await tx.execute(sql`set local lock_timeout = '3s'`);
      await insertRegistration(tx, registration('mw-3'));
      [second] = await insertPeople(tx, [person(3)]) as [number];
    });
  } finally {
    release();
    await holding;
  }
  t.pass('the writers committed while the refresh held the marks');

  // The held refresh deleted only what it saw: the new writes' marks are still there.
  const marked = await rows<{ id: number }>(db, sql`select distinct registration_id as id from stats_dirty_registrations`);
  const [mw3] = await rows<{ id: number }>(db, sql`select id from registrations where external_id = 'mw-3'`);
  t.same(marked.map((m) => m.id), [mw3!.id], 'mw-3 is marked');
  const citizens = (await rows<{ id: number }>(db, sql`select distinct citizen_id as id from stats_dirty_citizens`)).map((r) => r.id);
  t.same(citizens, [second], 'the new citizen is marked, not the one the held refresh took');
  t.ok(first! < second);
  const villages = await rows<{ v: string }>(db, sql`select distinct village_code as v from stats_dirty_villages`);
  t.same(villages.map((r) => r.v), [VILLAGE]);

  // The held refresh lost the marks of mw-2 and person 2 (it never committed its figures): a rebuild
  // is the truth; marks written twice are read once, and the next refresh leaves none behind.
  await rebuildStats(db, config);
  await insertRegistration(db, registration('mw-4'));
  await insertRegistration(db, registration('mw-5'));
  await insertPeople(db, [person(4)]);
  t.ok((await rows<{ n: number }>(db, sql`select count(*)::int as n from stats_dirty_registrations`))[0]!.n >= 2, 'marks of each write statement');
  const r = await refreshStats(db, config);
  t.ok(r.ran);
  const incremental = await snapshot(db);
  await rebuildStats(db, config);
  t.same(incremental, await snapshot(db), 'incremental equals rebuilt');
  const [left] = await rows<{ n: number }>(db, sql`select (select count(*) from stats_dirty_registrations) + (select count(*) from stats_dirty_citizens)
    + (select count(*) from stats_dirty_villages)::int as n`);
  t.equal(Number(left!.n), 0, 'no mark left');
});

t.test('vacuumMarks: the mark tables give back the dead rows a refresh leaves, they do not grow with every refresh', async (t) => {
  const size = async () => (await rows<{ bytes: number }>(db, sql`select pg_relation_size('stats_dirty_registrations')::int as bytes`))[0]!.bytes;
  const before: number[] = [];
  for (let round = 0; round < 3; round++) {
    // A busy interval's marks: one per registration written, a registration written many times.
    await db.execute(sql`insert into stats_dirty_registrations select (select min(id) from registrations) from generate_series(1, 5000)`);
    const r = await refreshStats(db, config);
    t.equal(r.marks, 5000, 'the refresh counts the marks it took, repeats included');
    before.push(await size());
    await vacuumMarks(db);
    t.equal(await size(), 0, 'vacuumed: the pages of the dead marks are given back');
  }
  t.ok(before[0]! > 0, 'the refresh left dead rows');
  t.equal(before[2], before[0], `the same size before each vacuum: ${before.join(', ')} bytes`);
});
