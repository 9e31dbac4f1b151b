import t, { type Test } from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { acceptHandoff, handedCount, handOff, HANDOFF_CAP, HANDOFF_MAX_AGE_MS, stopHandoff, takeHanded, type Handed } from '../../src/pipeline/handoff.js';
import { identifyStage, readAhead, type IdentityInput } from '../../src/pipeline/stages/identify.js';
import { watchedResolver } from '../helpers/resolver.js';
import { EngineResolver } from '../../src/pipeline/stages/engineResolver.js';
import { eventually, startTestHub, type TestHub } from '../helpers/hub.js';
import { applicant, PANARAGAN } from '../helpers/fixtures.js';
import { generatePopulation } from '../../src/synth/population.js';

const entry = (name: string): Handed => ({
  version: '1', villageCode: PANARAGAN, serviceCode: 'KIA', person: { nik: null, kk: null, fullName: name, sex: 'M', birthDate: '1990-01-01', birthPlace: null, motherName: null, address: null, villageCode: PANARAGAN },
});

t.test('entries are kept only where the pipeline runs, taken once, and bounded', async (t) => {
  const db = {};
  handOff(db, [[1, entry('A')]]);
  t.equal(handedCount(db), 0, 'nothing kept before the workers accept hand-offs');
  acceptHandoff(db);
  handOff(db, [[1, entry('A')], [2, entry('B')]]);
  t.equal(takeHanded(db, 1)?.person.fullName, 'A');
  t.equal(takeHanded(db, 1), undefined, 'taken once');
  handOff(db, Array.from({ length: HANDOFF_CAP + 5 }, (_, i): [number, Handed] => [100 + i, entry(`P${i}`)]));
  t.equal(handedCount(db), HANDOFF_CAP, 'at most the cap');
  t.equal(takeHanded(db, 2), undefined, 'the oldest went first');
  t.equal(takeHanded(db, 105)?.person.fullName, 'P5', 'the newest are kept');
  // Entries nobody took (another worker process identified the records) do not stay.
  const t0 = Date.now();
  handOff(db, [[1, entry('old')]], t0);
  t.equal(takeHanded(db, 1, t0 + HANDOFF_MAX_AGE_MS + 1), undefined, 'too old to be taken');
  handOff(db, [[2, entry('old')]], t0);
  handOff(db, [[3, entry('new')]], t0 + HANDOFF_MAX_AGE_MS + 1);
  t.equal(takeHanded(db, 2, t0 + HANDOFF_MAX_AGE_MS + 1), undefined, 'dropped when newer ones arrive');
  t.equal(takeHanded(db, 3, t0 + HANDOFF_MAX_AGE_MS + 1)?.person.fullName, 'new');
  stopHandoff(db);
  t.equal(handedCount(db), 0, 'forgotten when the workers stop');
});

async function push(t: Test, th: TestHub, key: string, list: object[]): Promise<number[]> {
  const res = await fetch(`${th.url}/v1/registrations`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ registrations: list }),
  });
  t.equal(res.status, 202);
  return ((await res.json()) as { records: { id: number }[] }).records.map((r) => r.id);
}

const registration = (i: number, fullName?: string) => {
  const a = applicant(i);
  return { externalId: `h-${i}`, service: 'KIA', applicant: { ...a, ...(fullName ? { fullName } : {}), villageCode: PANARAGAN } };
};

// Identify takes what intake handed it instead of reading it back, but only while the row is the version
// intake stored: a record changed since is identified as it is in Postgres.
t.test('identify takes handed registrations as stored, and reads again the ones changed since', async (t) => {
  const th = await startTestHub(t, { workers: false });
  const { ctx } = th.hub;
  const db = th.hub.database.db;
  acceptHandoff(db);
  t.teardown(() => stopHandoff(db));
  const key = await th.key('village', { villageCode: PANARAGAN });
  const ids = await push(t, th, key, Array.from({ length: 6 }, (_, i) => registration(i)));
  t.equal(handedCount(db), 6, 'every new registration handed over');
  // Pushed again with the same externalId: a duplicate, nothing new handed.
  await push(t, th, key, [registration(0)]);
  t.equal(handedCount(db), 6);

  // Record 1 changes in Postgres after it was handed (its row version changes).
  await rows(db, sql`update registrations set applicant = jsonb_set(applicant, '{fullName}', '"Nama Sudah Diperbaiki"') where id = ${ids[1]!}`);
  // Record 2's entry is put back with a person object the test can recognize.
  const marked = takeHanded(db, ids[2]!)!;
  const person = { ...marked.person };
  handOff(db, [[ids[2]!, { ...marked, person }]]);

  const engine = new EngineResolver();
  const seen: IdentityInput[] = [];
  const resolver = watchedResolver(engine, seen);
  // Three through a batch of their own (no read-ahead), three read ahead.
  t.same(await identifyStage(ctx, ids.slice(0, 3), 'registration', resolver), ids.slice(0, 3));
  const ahead = await readAhead(db, ids.slice(3), 'registration', resolver);
  t.equal(ahead.records.size, 3);
  t.same(await identifyStage(ctx, ids.slice(3), 'registration', resolver, Promise.resolve(ahead)), ids.slice(3));
  t.equal(handedCount(db), 0, 'every entry taken');

  t.equal(seen.find((i) => i.recordId === ids[2])!.person, person, 'a handed record reaches the engine as handed, not read back');
  const names = await rows<{ id: number; full_name: string; status: string }>(db, sql`
    select r.id, c.full_name, r.status from registrations r join citizens c on c.id = r.citizen_id order by r.id`);
  t.equal(names.length, 6, 'each registration identified');
  t.ok(names.every((n) => n.status === 'routed'), 'and routed');
  t.equal(names.find((n) => n.id === ids[1])!.full_name, 'Nama Sudah Diperbaiki', 'a record changed after it was handed is identified as it is now');
});

// The same pushes, with hand-offs and without (each record read back): the same people, the same routes.
t.test('through the hub: identities and routes are the same with or without hand-offs, and nothing is left behind', async (t) => {
  const services = ['KTP_EL_BARU', 'KIA', 'LEGALISASI_DOKUMEN', 'PENGANTAR_SKCK', 'SURAT_PINDAH_DATANG'];
  // Synthetic Tubaba people: households, movers registered twice, name variants, wrong NIK digits.
  const people = generatePopulation({ records: 900, seed: 27 }).records.slice(0, 900);
  const list = people.map((p, i) => ({
    externalId: `h-${i}`, service: services[i % services.length],
    applicant: {
      nik: p.nik, kk: p.kk, fullName: p.fullName, sex: p.sex, birthDate: p.birthDate, birthPlace: p.birthPlace ?? 'Panaragan',
      motherName: p.motherName, address: p.address ?? 'Jl. Lintas Sumatera', villageCode: p.villageCode, rt: p.rt, rw: p.rw, dusun: p.dusun,
    },
  }));
  const run = async (handoff: boolean) => {
    const th = await startTestHub(t);
    const db = th.hub.database.db;
    if (!handoff) stopHandoff(db);
    const key = await th.key('village', { villageCode: PANARAGAN });
    let accepted = 0;
    for (let from = 0; from < 800; from += 400) accepted += (await push(t, th, key, list.slice(from, from + 400))).filter(Boolean).length;
    // Single pushes go through the group commit, which hands over too.
    for (const one of list.slice(800)) {
      const res = await fetch(`${th.url}/v1/registrations`, {
        method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(one),
      });
      if (res.status === 202) accepted++;
    }
    await eventually(async () => {
      const [r] = await rows<{ moving: boolean }>(db, sql`select exists(select 1 from registrations where status in ('validated', 'identified')) as moving`);
      return !r!.moving;
    }, 60_000);
    t.equal(handedCount(db), 0, 'no entry left behind');
    // Each registration's people: the registrations sharing its citizen, by externalId; and where it went.
    const outcome = await rows<{ ext: string; same: string; status: string; queue: string | null }>(db, sql`
      select r.external_id as ext, (select string_agg(o.external_id, ',' order by o.external_id) from registrations o where o.citizen_id = r.citizen_id) as same,
        r.status, d.queue from registrations r left join deliveries d on d.registration_id = r.id order by r.external_id`);
    return { accepted, outcome };
  };
  const handed = await run(true);
  const readBack = await run(false);
  t.ok(handed.accepted > 600, `most records accepted (${handed.accepted})`);
  t.equal(handed.outcome.length, handed.accepted);
  t.ok(handed.outcome.some((o) => o.same.includes(',')), 'some people registered more than once');
  t.same(handed.outcome, readBack.outcome, 'the same citizens and routes either way');
});
