import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { ingestResidents } from '../../src/pipeline/intake/residents.js';
import { identifyStage, readAhead, type IdentityInput } from '../../src/pipeline/stages/identify.js';
import { watchedResolver } from '../helpers/resolver.js';
import { EngineResolver } from '../../src/pipeline/stages/engineResolver.js';
import { eventually, startTestHub } from '../helpers/hub.js';
import { applicant, PANARAGAN } from '../helpers/fixtures.js';

// A batch's records are read ahead, outside the lock, while the batch before it runs. Between that read
// and the batch, a record may be pushed again with new content or identified by another batch: the
// batch must identify what the record is when it holds the lock, and each record once.
t.test('a batch read ahead identifies each record as it is under the lock, once', async (t) => {
  const th = await startTestHub(t, { workers: false });
  const { ctx } = th.hub;
  const db = th.hub.database.db;
  const resident = (i: number, fullName?: string) => {
    const a = applicant(i);
    return { localId: `r-${i}`, villageCode: PANARAGAN, fullName: fullName ?? a.fullName, nik: a.nik, kk: a.kk, sex: a.sex === 'M' ? '1' : '2', birthDate: a.birthDate, address: `Jl. Lama No. ${i}` };
  };
  const stored = await ingestResidents(ctx, Array.from({ length: 20 }, (_, i) => resident(i)), { channel: 'push', allowedVillages: null });
  const ids = stored.records.map((r) => r.id!);
  t.equal(ids.filter(Boolean).length, 20);
  // The engine, with a look at the records each batch hands it.
  const engine = new EngineResolver();
  const handed: IdentityInput[] = [];
  const resolver = watchedResolver(engine, handed);
  const ahead = await readAhead(db, ids, 'resident', resolver);
  t.equal(ahead.records.size, 20, 'every waiting record read');

  // Meanwhile: record 3 is pushed again with a corrected name, record 5 is identified by a batch of its own.
  const again = await ingestResidents(ctx, [resident(3, 'Nama Sudah Diperbaiki')], { channel: 'push', allowedVillages: null });
  t.equal(again.records[0]!.id, ids[3], 'updated in place');
  t.same(await identifyStage(ctx, [ids[5]!], 'resident', resolver), [ids[5]]);

  handed.length = 0;
  const identified = await identifyStage(ctx, ids, 'resident', resolver, Promise.resolve(ahead));
  const asRead = handed.filter((i) => ahead.records.get(i.recordId)?.input === i).map((i) => i.recordId);
  t.same(asRead, ids.filter((id) => id !== ids[3] && id !== ids[5]), 'the unchanged records taken as they were read, not read again');
  t.same([...identified].sort((a, b) => a - b), ids.filter((id) => id !== ids[5]).sort((a, b) => a - b), 'every record but the one identified meanwhile');
  const [c] = await rows<{ links: number; citizens: number; waiting: number }>(db, sql`
    select (select count(*)::int from citizen_records) as links, (select count(*)::int from citizens) as citizens,
      (select count(*)::int from resident_records where status <> 'identified') as waiting`);
  t.same(c, { links: 20, citizens: 20, waiting: 0 }, 'each record linked once, one citizen each');
  const name = await rows<{ full_name: string }>(db, sql`select c.full_name from citizens c join resident_records r on r.citizen_id = c.id where r.id = ${ids[3]!}`);
  t.equal(name[0]!.full_name, 'Nama Sudah Diperbaiki', 'the record changed after the read is identified with its new content');

  // A read of another kind, or none, leaves the batch to read its records itself.
  const more = await ingestResidents(ctx, [resident(30)], { channel: 'push', allowedVillages: null });
  const other = await readAhead(db, [more.records[0]!.id!], 'registration', resolver);
  t.equal(other.records.size, 0, 'a resident is no waiting registration');
  t.same(await identifyStage(ctx, [more.records[0]!.id!], 'resident', resolver, Promise.resolve(other)), [more.records[0]!.id]);
  t.same(await identifyStage(ctx, [more.records[0]!.id!], 'resident', resolver, Promise.reject(new Error('read failed'))), [], 'already identified');
});

// A batch's records are read while the batch before runs its engine. Warming them then took the thread
// from that engine; the batch before warms them while it waits on Postgres, and a batch whose read came
// late warms its own while it takes the lock: each record once, before its engine starts.
t.test('records read ahead are warmed while a batch waits on Postgres, each once, before their engine starts', async (t) => {
  const th = await startTestHub(t, { workers: false });
  const { ctx } = th.hub;
  const db = th.hub.database.db;
  const page = async (from: number) => (await ingestResidents(ctx, Array.from({ length: 30 }, (_, k) => {
    const a = applicant(from + k);
    return { localId: `w-${from + k}`, villageCode: PANARAGAN, fullName: a.fullName, nik: a.nik, kk: a.kk, sex: a.sex === 'M' ? '1' : '2', birthDate: a.birthDate };
  }), { channel: 'push', allowedVillages: null })).records.map((r) => r.id!);
  const [first, second, third] = [await page(0), await page(100), await page(200)];
  const seen: IdentityInput[] = [];
  const warmed: IdentityInput[] = [];
  const events: string[] = [];
  const watched = watchedResolver(new EngineResolver(), seen, warmed);
  const resolver = {
    ...watched,
    warm: (inputs: IdentityInput[]) => { events.push(`warm ${inputs.length}`); watched.warm!(inputs); },
    resolve: (...args: Parameters<typeof watched.resolve>) => { events.push(`resolve ${args[1].length}`); return watched.resolve(...args); },
  };
  await identifyStage(ctx, first, 'resident', resolver);

  const ahead = await readAhead(db, second, 'resident', resolver);
  t.equal(warmed.length, 0, 'nothing warmed as the read returns: the running batch would pay for it');
  events.length = 0;
  await identifyStage(ctx, third, 'resident', resolver);
  t.same(events, ['warm 30', 'resolve 30'], 'the next batch warmed during this batch\'s first wait on Postgres');
  t.same(warmed, [...ahead.records.values()].map((r) => r.input), 'the records as read ahead');

  events.length = 0;
  warmed.length = 0;
  seen.length = 0;
  t.same(await identifyStage(ctx, second, 'resident', resolver, Promise.resolve(ahead)), second);
  t.same(events, ['resolve 30'], 'not warmed again');
  const asRead = [...ahead.records.values()].map((r) => r.input);
  t.ok(seen.length === asRead.length && seen.every((input, i) => input === asRead[i]), 'the engine gets the objects warmed');

  // A read that came after the batch before: the batch warms its own records while it takes the lock.
  const late = await page(300);
  const lateAhead = await readAhead(db, late, 'resident', resolver);
  events.length = 0;
  t.same(await identifyStage(ctx, late, 'resident', resolver, Promise.resolve(lateAhead)), late);
  t.same(events, ['warm 30', 'resolve 30'], 'warmed once, before its engine starts');
  const [c] = await rows<{ citizens: number; waiting: number }>(db, sql`
    select (select count(*)::int from citizens) as citizens, (select count(*)::int from resident_records where status <> 'identified') as waiting`);
  t.same(c, { citizens: 120, waiting: 0 }, 'every record identified, one citizen each');
});

t.test('through the hub: a backlog is identified in batches read ahead, each record once, each person one citizen', async (t) => {
  const th = await startTestHub(t, { workers: false });
  const people = 3000;
  const resident = (i: number, copy: string) => {
    const a = applicant(i);
    return { localId: `${copy}-${i}`, villageCode: PANARAGAN, fullName: a.fullName, nik: a.nik, kk: a.kk, sex: a.sex === 'M' ? '1' : '2', birthDate: a.birthDate };
  };
  // Each person twice, 3,000 records apart (in different batches), pushed in pages of 1,000: a backlog
  // of six identify jobs when the workers start.
  for (const copy of ['a', 'b']) {
    for (let from = 0; from < people; from += 1000) {
      const page = await ingestResidents(th.hub.ctx, Array.from({ length: 1000 }, (_, k) => resident(from + k, copy)), { channel: 'push', allowedVillages: null });
      t.equal(page.records.filter((r) => r.id).length, 1000);
    }
  }
  await th.hub.close();
  const hub = await th.restart({ workers: true });
  const db = hub.database.db;
  await eventually(async () => {
    const [r] = await rows<{ n: number }>(db, sql`select count(*)::int as n from resident_records where status = 'accepted'`);
    return r!.n === 0;
  }, 60_000, 100);
  t.ok(hub.workers!.identifyBatches.readAhead > 0, `${hub.workers!.identifyBatches.readAhead} of ${hub.workers!.identifyBatches.batches} batches read ahead`);
  const [c] = await rows<{ citizens: number; links: number; disagree: number; split: number }>(db, sql`
    select (select count(*)::int from citizens) as citizens, (select count(*)::int from citizen_records) as links,
      (select count(*)::int from resident_records rr join citizen_records cr on cr.record_kind = 'resident' and cr.record_id = rr.id
        where rr.citizen_id is distinct from cr.citizen_id or rr.status <> 'identified') as disagree,
      (select count(*)::int from resident_records a join resident_records b on b.local_id = 'b-' || substr(a.local_id, 3)
        where a.local_id like 'a-%' and a.citizen_id <> b.citizen_id) as split`);
  t.same(c, { citizens: people, links: 2 * people, disagree: 0, split: 0 }, 'one link per record, both copies of each person on one citizen');
});
