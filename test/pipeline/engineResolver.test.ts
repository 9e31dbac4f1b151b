import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { arrayParam } from '../../src/db/sqlArrays.js';
import { EngineResolver } from '../../src/pipeline/stages/engineResolver.js';
import { identifyStage } from '../../src/pipeline/stages/identify.js';
import { lockIdentify } from '../../src/pipeline/stages/identifyLock.js';
import { decideCase, splitCase } from '../../src/pipeline/review/index.js';
import { startTestHub } from '../helpers/hub.js';
import { applicant, makeNik, MULYA_JAYA_05, PANARAGAN, type TestApplicant } from '../helpers/fixtures.js';

// The engine resolver's index across reviewers' decisions: moves replayed in place, not a reload.
// No workers: the test runs identify batches itself, each with the resolver it watches.
const th = await startTestHub(t, { workers: false });
const db = th.hub.database.db;
const ctx = th.hub.ctx;
const staff = { label: 'kecamatan:test-staff' };

let serial = 0;
let person = 0;
/** Another person, far from every other one the test makes. */
const someone = (): TestApplicant => applicant(100 + 37 * person++, { villageCode: PANARAGAN });

const FIRST = ['Siti', 'Dewi', 'Ratna', 'Sri', 'Yuliani', 'Rina', 'Wati', 'Nur'];
const LAST = ['Nurhaliza', 'Rahmawati', 'Kusumawati', 'Handayani', 'Lestari', 'Puspitasari'];
let woman = 0;
/**
 * One woman as three records: the full one, and two without NIK or KK from another village, which
 * the engine links to her (so they stay one citizen once merged).
 */
function oneWoman() {
  const i = woman++;
  const birthDate = `${1961 + i}-0${1 + (i % 9)}-${10 + (i % 18)}`;
  const full: TestApplicant = {
    ...applicant(1, { villageCode: PANARAGAN }), fullName: `${FIRST[i % FIRST.length]} ${LAST[i % LAST.length]}`, sex: 'F', birthDate,
    nik: makeNik('181201', birthDate, 'F', 11 + i), kk: `181201010111${String(i).padStart(4, '0')}`, motherName: 'Aminah', address: 'Dusun 2 RT 003',
  };
  const elsewhere = { nik: null, kk: null, address: 'Jl. Tiyuh 1', villageCode: MULYA_JAYA_05 } as unknown as TestApplicant;
  return [full, { ...full, ...elsewhere, motherName: null } as unknown as TestApplicant, { ...full, ...elsewhere, birthPlace: null } as unknown as TestApplicant] as const;
}

async function register(a: TestApplicant, status = 'validated'): Promise<number> {
  const [r] = await rows<{ id: number }>(db, sql`
    insert into registrations (village_code, external_id, service_code, submitted_at, applicant, status)
    values (${a.villageCode!}, ${`er-${++serial}`}, 'KTP_EL_BARU', now(), ${JSON.stringify(a)}::jsonb, ${status}) returning id`);
  return r!.id;
}

/** One identify batch of these people; answers each one's registration and citizen, in order. */
async function batch(resolver: EngineResolver, ...people: TestApplicant[]): Promise<{ id: number; citizen: number }[]> {
  const ids: number[] = [];
  for (const p of people) ids.push(await register(p));
  await identifyStage(ctx, ids, 'registration', resolver);
  const linked = await rows<{ id: number; citizen_id: number }>(db, sql`
    select id, citizen_id from registrations where id = any(${arrayParam(ids, 'int')})`);
  const of = new Map(linked.map((l) => [l.id, l.citizen_id]));
  return ids.map((id) => ({ id, citizen: of.get(id)! }));
}

/**
 * A record linked to a citizen of its own, written as identify writes a 'new' link: the engine of the
 * day did not know it was someone already known (the case a reviewer's 'same' is for).
 */
async function linkedAlone(a: TestApplicant): Promise<{ id: number; citizen: number }> {
  const id = await register(a, 'identified');
  const [c] = await rows<{ id: number }>(db, sql`insert into citizens (full_name, nik) values (${a.fullName}, ${a.nik}) returning id`);
  await db.execute(sql`insert into citizen_records (citizen_id, record_kind, record_id, village_code, link)
    values (${c!.id}, 'registration', ${id}, ${a.villageCode!}, 'new')`);
  await db.execute(sql`update registrations set citizen_id = ${c!.id}, identity = 'confirmed' where id = ${id}`);
  return { id, citizen: c!.id };
}

/** A review case as identify would have opened it: the record's citizen may be the candidate. */
async function openCase(registration: number, citizen: number, candidate: number): Promise<number> {
  const [c] = await rows<{ id: number }>(db, sql`
    insert into review_cases (kecamatan_code, record_kind, record_id, citizen_id, candidate_citizen_id, score)
    values (${PANARAGAN.slice(0, 6)}, 'registration', ${registration}, ${citizen}, ${candidate}, 7) returning id`);
  return c!.id;
}

const same = (caseId: number) => decideCase(db, ctx.queues, caseId, 'same', staff, 'one person');
const split = (caseId: number) => splitCase(db, caseId, staff, 'two people');

t.test('"same": the next batch moves the merged records in place, and that person resolves to the survivor', async (t) => {
  const [full, elsewhere] = oneWoman();
  const a1 = await linkedAlone(full);
  const b1 = await linkedAlone(elsewhere);
  const resolver = new EngineResolver();
  const [a2] = await batch(resolver, full);
  t.equal(a2!.citizen, a1.citizen, 'before: her full record resolves to its own citizen');
  t.same(resolver.stats, { fullLoads: 1, incrementalMoves: 0, relocated: 0 }, 'the first batch loads the index');

  await same(await openCase(b1.id, b1.citizen, a1.citizen));
  const [b2] = await batch(resolver, elsewhere);
  t.equal(b2!.citizen, a1.citizen, 'a new record of the merged citizen goes to the survivor');
  t.same(resolver.stats, { fullLoads: 1, incrementalMoves: 1, relocated: 0 }, 'one record moved, no reload');

  const [b3] = await batch(new EngineResolver(), elsewhere);
  t.equal(b3!.citizen, a1.citizen, 'as an index loaded whole decides');
});

t.test('a split moves them back: that person resolves to its own citizen again', async (t) => {
  const [full, elsewhere] = oneWoman();
  const a1 = await linkedAlone(full);
  const b1 = await linkedAlone(elsewhere);
  const resolver = new EngineResolver();
  await batch(resolver, someone());
  const caseId = await openCase(b1.id, b1.citizen, a1.citizen);
  await same(caseId);
  await batch(resolver, someone());
  t.equal(resolver.stats.incrementalMoves, 1, 'the merge was applied by the batch after it');

  await split(caseId);
  const [b2, a2] = await batch(resolver, elsewhere, full);
  t.equal(b2!.citizen, b1.citizen, 'the split record\'s person has her citizen back');
  t.equal(a2!.citizen, a1.citizen, 'the survivor keeps its own records');
  t.same(resolver.stats, { fullLoads: 1, incrementalMoves: 2, relocated: 0 });
});

t.test('merged, then split, then merged again between two batches: each record was moved more than once', async (t) => {
  const [full, elsewhere] = oneWoman();
  const [full2, elsewhere2] = oneWoman();
  const a1 = await linkedAlone(full);
  const b1 = await linkedAlone(elsewhere);
  const c1 = await linkedAlone(full2);
  const d1 = await linkedAlone(elsewhere2);
  const resolver = new EngineResolver();
  await batch(resolver, someone());

  const ab = await openCase(b1.id, b1.citizen, a1.citizen);
  await same(ab);
  await split(ab);
  const cd = await openCase(d1.id, d1.citizen, c1.citizen);
  await same(cd);
  await split(cd);
  await same(cd);

  const [b2, a2, d2, c2] = await batch(resolver, elsewhere, full, elsewhere2, full2);
  t.equal(b2!.citizen, b1.citizen, 'merged and split: back on her own citizen');
  t.equal(a2!.citizen, a1.citizen);
  t.equal(d2!.citizen, c1.citizen, 'merged, split, merged: on the survivor');
  t.equal(c2!.citizen, c1.citizen);
  t.same(resolver.stats, { fullLoads: 1, incrementalMoves: 2, relocated: 0 }, 'the last move of each record, no reload');
});

t.test('merges chained between two batches: records are found along merged_into', async (t) => {
  const [full, elsewhere, third] = oneWoman();
  const a1 = await linkedAlone(full);
  const b1 = await linkedAlone(elsewhere);
  const c1 = await linkedAlone(third);
  const resolver = new EngineResolver();
  await batch(resolver, someone());
  await same(await openCase(b1.id, b1.citizen, a1.citizen));
  await same(await openCase(a1.id, a1.citizen, c1.citizen));

  const [b2, a2] = await batch(resolver, elsewhere, full);
  t.equal(b2!.citizen, c1.citizen, 'merged twice: on the last survivor');
  t.equal(a2!.citizen, c1.citizen);
  t.same(resolver.stats, { fullLoads: 1, incrementalMoves: 2, relocated: 1 }, 'b1 was under b, its row names a and c');
});

t.test('a move the index cannot place: the index is loaded again, whole', async (t) => {
  const [full, elsewhere] = oneWoman();
  const a1 = await linkedAlone(full);
  const b1 = await linkedAlone(elsewhere);
  const resolver = new EngineResolver();
  await batch(resolver, someone());
  // Moved twice by hand, through a citizen the index never held and no merge chain names.
  const [stray] = await rows<{ id: number }>(db, sql`insert into citizens (full_name) values ('stray') returning id`);
  for (const to of [stray!.id, a1.citizen]) {
    await db.execute(sql`update citizen_records set citizen_id = ${to} where record_kind = 'registration' and record_id = ${b1.id}`);
  }
  const [b2] = await batch(resolver, elsewhere);
  t.equal(b2!.citizen, a1.citizen, 'resolved as the database says');
  t.same(resolver.stats, { fullLoads: 2, incrementalMoves: 0, relocated: 0 }, 'reloaded');
});

t.test('"different" and a rolled-back batch keep their behaviour', async (t) => {
  const [full, elsewhere] = oneWoman();
  const a1 = await linkedAlone(full);
  const b1 = await linkedAlone(elsewhere);
  const resolver = new EngineResolver();
  await batch(resolver, someone());
  await decideCase(db, ctx.queues, await openCase(b1.id, b1.citizen, a1.citizen), 'different', staff, 'two people');
  const [b2] = await batch(resolver, elsewhere);
  t.equal(b2!.citizen, b1.citizen);
  t.same(resolver.stats, { fullLoads: 1, incrementalMoves: 0, relocated: 0 }, 'nothing moved, nothing reloaded');

  resolver.aborted();
  const [a2] = await batch(resolver, full);
  t.equal(a2!.citizen, a1.citizen);
  t.equal(resolver.stats.fullLoads, 2, 'a rolled-back batch drops the index; the next one loads it');
});

t.test('a record identified again leaves no copy under the citizen it left', async (t) => {
  const resolver = new EngineResolver();
  const [a, b] = [someone(), someone()];
  const [a1, b1] = await batch(resolver, a, b);
  // The village corrects a1: it was b all along. Identified again, it joins b's citizen.
  await db.execute(sql`update registrations set applicant = ${JSON.stringify(b)}::jsonb, status = 'validated' where id = ${a1!.id}`);
  await identifyStage(ctx, [a1!.id], 'registration', resolver);
  const [again] = await rows<{ citizen_id: number }>(db, sql`select citizen_id from registrations where id = ${a1!.id}`);
  t.equal(again!.citizen_id, b1!.citizen, 'moved to b');

  const [a2] = await batch(resolver, a);
  t.not(a2!.citizen, a1!.citizen, 'a\'s old citizen holds no record any more: nothing matches it');
  t.same(resolver.stats, { fullLoads: 1, incrementalMoves: 1, relocated: 0 });
  const [fresh] = await batch(new EngineResolver(), a);
  t.not(fresh!.citizen, a1!.citizen, 'as an index loaded whole decides');
});

t.test('a merge waits for the identify batch in progress, so no move commits behind a batch\'s watermark', async (t) => {
  const [full, elsewhere] = oneWoman();
  const a1 = await linkedAlone(full);
  const b1 = await linkedAlone(elsewhere);
  const caseId = await openCase(b1.id, b1.citizen, a1.citizen);
  let decided = false;
  let deciding: Promise<void> | undefined;
  await db.transaction(async (tx) => {
    await lockIdentify(tx);
    deciding = same(caseId).then(() => { decided = true; });
    await new Promise((r) => setTimeout(r, 300));
    t.notOk(decided, 'the decision waits while a batch holds the identify lock');
  });
  await deciding;
  t.ok(decided, 'and is made once the batch ends');
});

t.test('the index is built outside the identify lock, and the batch after it adds only what came since', async (t) => {
  const [full] = oneWoman();
  const a1 = await linkedAlone(full);
  const resolver = new EngineResolver();
  // Another process holds the identify lock (a long batch, a reviewer's merge): the build does not wait for it.
  let release!: () => void;
  const held = new Promise<void>((r) => { release = r; });
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => { locked = r; });
  const holder = db.transaction(async (tx) => {
    await lockIdentify(tx);
    locked();
    await held;
  });
  await isLocked;
  await resolver.prepare(db);
  t.same(resolver.stats, { fullLoads: 1, incrementalMoves: 0, relocated: 0 }, 'built while the lock was held elsewhere');
  release();
  await holder;
  // Linked after the build: the next batch takes it from the watermark, without a second build.
  const other = someone();
  const x1 = await linkedAlone(other);
  const [a2, x2] = await batch(resolver, full, other);
  t.equal(a2!.citizen, a1.citizen);
  t.equal(x2!.citizen, x1.citizen, 'a record linked after the build is found');
  t.same(resolver.stats, { fullLoads: 1, incrementalMoves: 0, relocated: 0 }, 'no second build');
  await resolver.prepare(db);
  t.equal(resolver.stats.fullLoads, 1, 'prepare with an index in hand does nothing');
});

t.test('the resolver compares dusun, RT and RW with the address, as the learned parameters do', async (t) => {
  const one = { ...someone(), address: 'Jl. Lintas Sumatra', dusun: 'Dusun Karta', rt: '003', rw: '001' };
  const [first] = await batch(new EngineResolver(), one);
  const [again] = await batch(new EngineResolver(), { ...one, rt: '007' });
  t.equal(again!.citizen, first!.citizen, 'one person (the NIK agrees)');
  const [link] = await rows<{ evidence: { fields: { field: string; level: string }[] } }>(db, sql`
    select evidence from citizen_records where record_kind = 'registration' and record_id = ${again!.id}`);
  const level = (f: string) => link!.evidence.fields.find((x) => x.field === f)?.level;
  t.equal(level('address'), 'different', 'the same alamat in another RT is another address');
  t.equal(level('locality'), 'agree', 'the dusun is compared');
});

t.test('a record that joins two citizens inside one batch: the rest of the batch and the next batch see one person', async (t) => {
  const i = woman++;
  const birthDate = `${1961 + i}-0${1 + (i % 9)}-${10 + (i % 18)}`;
  const name = `${FIRST[i % FIRST.length]} ${LAST[(i + 3) % LAST.length]}`;
  const base = applicant(1, { villageCode: PANARAGAN });
  // Known by NIK and birth date in one register, by mother and KK (no NIK, no date) in another.
  const byNik = { ...base, fullName: name, sex: 'F', birthDate, nik: makeNik('181201', birthDate, 'F', 91 + i), kk: null, motherName: null, address: 'Dusun 1' } as unknown as TestApplicant;
  const byMother = { ...base, fullName: name, sex: 'F', birthDate: null, nik: null, kk: `181201020222${String(i).padStart(4, '0')}`, motherName: 'Painem', address: 'Dusun 4', villageCode: MULYA_JAYA_05 } as unknown as TestApplicant;
  const full = { ...byNik, kk: byMother.kk, motherName: 'Painem', address: 'Dusun 4' } as unknown as TestApplicant;
  const resolver = new EngineResolver();
  const first = await batch(resolver, byNik, byMother);
  t.not(first[0]!.citizen, first[1]!.citizen, 'alone, the two records are two citizens');
  const [bridge, again] = await batch(resolver, full, byMother);
  const survivor = Math.min(first[0]!.citizen, first[1]!.citizen);
  t.equal(bridge!.citizen, survivor, 'the bridging record joins them under the older citizen');
  t.equal(again!.citizen, survivor, 'a later record of the same batch finds the one citizen');
  const [c] = await rows<{ status: string; decided_by: string }>(db, sql`
    select status, decided_by from review_cases where record_kind = 'registration' and record_id = ${bridge!.id}`);
  t.match(c, { status: 'same', decided_by: 'sistem:identitas' });
  const [next] = await batch(resolver, byMother);
  t.equal(next!.citizen, survivor, 'the next batch too');
  t.equal(resolver.stats.fullLoads, 1, 'the join replayed in place: no reload of the index');
  const [fresh] = await batch(new EngineResolver(), byMother);
  t.equal(fresh!.citizen, survivor, 'as an index loaded whole decides');
});
