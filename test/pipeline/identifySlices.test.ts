import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { ingestResidents } from '../../src/pipeline/intake/residents.js';
import { identifyStage } from '../../src/pipeline/stages/identify.js';
import { EngineResolver } from '../../src/pipeline/stages/engineResolver.js';
import { startTestHub } from '../helpers/hub.js';
import { applicant, PANARAGAN } from '../helpers/fixtures.js';

// Identify writes a batch slice by slice while the engine decides the next slice; a record of a later
// slice that is a citizen created in an earlier one must land on that citizen's id, whatever order the
// slices' statements come back in.
t.test('one batch over several slices: later records join citizens created by earlier slices', async (t) => {
  const th = await startTestHub(t, { workers: false });
  const { ctx } = th.hub;
  const db = th.hub.database.db;
  const people = 600;
  const resident = (i: number, copy: string) => {
    const a = applicant(i);
    return { localId: `${copy}-${i}`, villageCode: PANARAGAN, fullName: a.fullName, nik: a.nik, kk: a.kk, sex: a.sex === 'M' ? '1' : '2', birthDate: a.birthDate };
  };
  // Every person twice, 600 records apart: the second copy is always in a later slice than the first.
  const first = await ingestResidents(ctx, [...Array.from({ length: people }, (_, i) => resident(i, 'a')), ...Array.from({ length: people }, (_, i) => resident(i, 'b'))], { channel: 'push', allowedVillages: null });
  const ids = first.records.map((r) => r.id!).filter(Boolean);
  t.equal(ids.length, 2 * people, 'every record stored');
  const resolver = new EngineResolver();
  const identified = await identifyStage(ctx, ids, 'resident', resolver);
  t.equal(identified.length, 2 * people, 'one batch identified them all');

  const [c] = await rows<{ citizens: number; span: number; links: number; orphans: number; disagree: number }>(db, sql`
    select (select count(*)::int from citizens) as citizens,
      (select (max(id) - min(id) + 1)::int from citizens) as span,
      (select count(*)::int from citizen_records where record_kind = 'resident') as links,
      (select count(*)::int from citizens c where not exists (select 1 from citizen_records cr where cr.citizen_id = c.id)) as orphans,
      (select count(*)::int from resident_records rr join citizen_records cr on cr.record_kind = 'resident' and cr.record_id = rr.id
        where rr.citizen_id is distinct from cr.citizen_id or rr.status <> 'identified') as disagree`);
  t.equal(c!.citizens, people, 'one citizen per person');
  t.equal(c!.span, people, 'exactly as many citizen ids drawn as citizens made');
  t.equal(c!.links, 2 * people, 'one link per record');
  t.equal(c!.orphans, 0, 'no citizen without a record');
  t.equal(c!.disagree, 0, 'each record names the citizen its link names');
  const split = await rows<{ n: number }>(db, sql`
    select count(*)::int as n from resident_records a join resident_records b on a.local_id = 'a-' || substr(b.local_id, 3) and b.local_id like 'b-%'
    where a.citizen_id <> b.citizen_id`);
  t.equal(split[0]!.n, 0, 'both copies of each person on one citizen');

  // The index kept the batch's new citizens under their real ids: a third copy joins them in the next batch.
  const third = await ingestResidents(ctx, Array.from({ length: 300 }, (_, i) => resident(i * 2, 'c')), { channel: 'push', allowedVillages: null });
  await identifyStage(ctx, third.records.map((r) => r.id!).filter(Boolean), 'resident', resolver);
  const [after] = await rows<{ citizens: number; wrong: number }>(db, sql`
    select (select count(*)::int from citizens) as citizens,
      (select count(*)::int from resident_records c join resident_records a on a.local_id = 'a-' || substr(c.local_id, 3)
        where c.local_id like 'c-%' and c.citizen_id is distinct from a.citizen_id) as wrong`);
  t.equal(after!.citizens, people, 'no new citizen for a third copy');
  t.equal(after!.wrong, 0, 'each third copy on its person\'s citizen');
});

/** A resident record of person i, copy `copy`, with an address of its own and its source's change time. */
const residentAt = (i: number, copy: string, at: string) => {
  const a = applicant(i);
  return {
    localId: `${copy}-${i}`, villageCode: PANARAGAN, fullName: a.fullName, nik: a.nik, kk: a.kk, sex: a.sex === 'M' ? '1' : '2', birthDate: a.birthDate,
    address: `Jl. ${copy.toUpperCase()} No. ${i}`, sourceUpdatedAt: at,
  };
};

// A citizen's golden record follows the records it gains: its newest address, whether the record that
// brings it matches a citizen of an earlier batch or one created earlier in the same batch.
t.test('a citizen that gains a record in a batch takes its newest address, across slices and batches', async (t) => {
  const th = await startTestHub(t, { workers: false });
  const { ctx } = th.hub;
  const db = th.hub.database.db;
  const people = 300;
  const addresses = () => rows<{ local_id: string; address: string }>(db, sql`
    select rr.local_id, c.address from resident_records rr join citizens c on c.id = rr.citizen_id where rr.local_id like 'a-%' order by rr.id`);
  // Each person twice in one batch, the second copy newer and 300 records later (a later slice).
  const first = await ingestResidents(ctx, [
    ...Array.from({ length: people }, (_, i) => residentAt(i, 'a', '2026-01-01T00:00:00Z')),
    ...Array.from({ length: people }, (_, i) => residentAt(i, 'b', '2026-02-01T00:00:00Z')),
  ], { channel: 'push', allowedVillages: null });
  const resolver = new EngineResolver();
  await identifyStage(ctx, first.records.map((r) => r.id!).filter(Boolean), 'resident', resolver);
  const afterFirst = await addresses();
  t.equal(afterFirst.length, people);
  t.same(afterFirst.filter((r) => r.address !== `Jl. B No. ${r.local_id.slice(2)}`), [], 'each citizen has the newer copy\'s address');

  // A third, newer copy of every other person in the next batch: it matches a known citizen.
  const third = await ingestResidents(ctx, Array.from({ length: people / 2 }, (_, i) => residentAt(i * 2, 'c', '2026-03-01T00:00:00Z')), { channel: 'push', allowedVillages: null });
  await identifyStage(ctx, third.records.map((r) => r.id!).filter(Boolean), 'resident', resolver);
  const afterThird = await addresses();
  const expected = (i: number) => (i % 2 === 0 ? `Jl. C No. ${i}` : `Jl. B No. ${i}`);
  t.same(afterThird.filter((r) => r.address !== expected(Number(r.local_id.slice(2)))), [], 'the third copy\'s address where there is one');
});

// The linked records of a citizen a slice matched are read right behind that slice's write; a citizen
// matched again in a later slice of the same batch must be written from the later read, which holds both.
t.test('a known citizen matched in two slices of one batch takes the newest of all its records', async (t) => {
  const th = await startTestHub(t, { workers: false });
  const { ctx } = th.hub;
  const db = th.hub.database.db;
  const people = 300;
  const batch = async (records: ReturnType<typeof residentAt>[]) => {
    const stored = await ingestResidents(ctx, records, { channel: 'push', allowedVillages: null });
    await identifyStage(ctx, stored.records.map((r) => r.id!).filter(Boolean), 'resident', resolver);
  };
  const resolver = new EngineResolver();
  await batch(Array.from({ length: people }, (_, i) => residentAt(i, 'a', '2026-01-01T00:00:00Z')));
  // Next batch: every person twice, 300 records apart (two slices), the later copy newer; then a
  // third batch where the newest copy comes first and an older one a slice later.
  await batch([
    ...Array.from({ length: people }, (_, i) => residentAt(i, 'c', '2026-03-01T00:00:00Z')),
    ...Array.from({ length: people }, (_, i) => residentAt(i, 'd', '2026-04-01T00:00:00Z')),
  ]);
  const addresses = () => rows<{ local_id: string; address: string; citizens: number }>(db, sql`
    select rr.local_id, c.address, (select count(*)::int from citizens) as citizens
    from resident_records rr join citizens c on c.id = rr.citizen_id where rr.local_id like 'a-%' order by rr.id`);
  const second = await addresses();
  t.equal(second[0]!.citizens, people, 'every copy on its person\'s citizen');
  t.same(second.filter((r) => r.address !== `Jl. D No. ${r.local_id.slice(2)}`), [], 'each citizen has the address of the copy matched in the later slice');
  await batch([
    ...Array.from({ length: people }, (_, i) => residentAt(i, 'e', '2026-06-01T00:00:00Z')),
    ...Array.from({ length: people }, (_, i) => residentAt(i, 'f', '2026-05-01T00:00:00Z')),
  ]);
  t.same((await addresses()).filter((r) => r.address !== `Jl. E No. ${r.local_id.slice(2)}`), [], 'the newest record wins wherever its slice is');
});
