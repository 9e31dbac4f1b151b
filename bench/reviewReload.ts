/**
 * The identify batch after a reviewer's decision: with N linked records (the synthetic Tubaba
 * population, one citizen per person, written straight to Postgres), the time of the first identify
 * batch after a 'same' decision (a merge) and after a split, when the engine resolver replays the
 * moves on its index, against the same batch when the index is loaded whole again, which is what
 * every decision cost before (the resolver reloaded on any change of the decided cases; here
 * `aborted()` drops the index, so the next batch runs that same full load). Real Postgres (a fresh
 * database), no workers: the batches run here.
 *   npm run bench:review-reload -- --records 50000 --rounds 5 --batch 100
 */
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { rows } from '../src/db/client.js';
import { arrayParam } from '../src/db/sqlArrays.js';
import { decideCase, splitCase } from '../src/pipeline/review/index.js';
import { EngineResolver } from '../src/pipeline/stages/engineResolver.js';
import { identifyStage } from '../src/pipeline/stages/identify.js';
import { generatePopulation, type SyntheticRecord } from '../src/synth/population.js';
import { startBenchHub } from './benchHub.js';

const { values } = parseArgs({
  options: { records: { type: 'string', default: '50000' }, rounds: { type: 'string', default: '5' }, batch: { type: 'string', default: '100' } },
});
const total = Number(values.records);
const rounds = Number(values.rounds);
const batchSize = Number(values.batch);

const bench = await startBenchHub({ api: false, workers: false });
const { hub } = bench;
const db = hub.database.db;
const ctx = hub.ctx;
const staff = { label: 'bench' };

// Records beyond `total` arrive later, a batch at a time.
const people = generatePopulation({ records: total + (4 * rounds + 2) * batchSize, seed: 1812 }).records;
const linked = people.slice(0, total);
let arriving = total;

const applicantOf = (p: SyntheticRecord) => JSON.stringify({
  nik: p.nik, kk: p.kk, fullName: p.fullName, sex: p.sex, birthDate: p.birthDate, birthPlace: p.birthPlace,
  motherName: p.motherName, address: p.address, villageCode: p.villageCode,
});

const loadStarted = performance.now();
const citizenOf = new Map<string, number>();
const registrationsOf = new Map<number, number[]>();
for (let i = 0; i < linked.length; i += 10_000) {
  const chunk = linked.slice(i, i + 10_000);
  const newPeople = [...new Set(chunk.map((p) => p.truthId).filter((t) => !citizenOf.has(t)))];
  const firstOf = new Map<string, SyntheticRecord>();
  for (const p of chunk) if (!firstOf.has(p.truthId)) firstOf.set(p.truthId, p);
  const made = await rows<{ id: number }>(db, sql`
    insert into citizens (full_name, nik, village_code)
    select * from unnest(${arrayParam(newPeople.map((t) => firstOf.get(t)!.fullName), 'text')}, ${arrayParam(newPeople.map((t) => firstOf.get(t)!.nik), 'text')},
      ${arrayParam(newPeople.map((t) => firstOf.get(t)!.villageCode), 'text')}) returning id`);
  newPeople.forEach((t, k) => citizenOf.set(t, made[k]!.id));
  const regs = await rows<{ id: number }>(db, sql`
    insert into registrations (village_code, external_id, service_code, submitted_at, applicant, status, identity, citizen_id)
    select u.village, u.ext, 'KTP_EL_BARU', now(), u.applicant::jsonb, 'routed', 'confirmed', u.citizen
    from unnest(${arrayParam(chunk.map((p) => p.villageCode), 'text')}, ${arrayParam(chunk.map((_, k) => `rr-${i + k}`), 'text')},
      ${arrayParam(chunk.map(applicantOf), 'text')}, ${arrayParam(chunk.map((p) => citizenOf.get(p.truthId)!), 'int')})
      with ordinality as u(village, ext, applicant, citizen, n) order by u.n returning id`);
  await db.execute(sql`
    insert into citizen_records (citizen_id, record_kind, record_id, village_code, link)
    select u.citizen, 'registration', u.rec, u.village, 'new'
    from unnest(${arrayParam(chunk.map((p) => citizenOf.get(p.truthId)!), 'int')}, ${arrayParam(regs.map((r) => r.id), 'int')},
      ${arrayParam(chunk.map((p) => p.villageCode), 'text')}) as u(citizen, rec, village)`);
  chunk.forEach((p, k) => {
    const c = citizenOf.get(p.truthId)!;
    registrationsOf.set(c, [...(registrationsOf.get(c) ?? []), regs[k]!.id]);
  });
}
await db.execute(sql`analyze`);
console.log(`${total} linked records of ${citizenOf.size} citizens written in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`);

/** One identify batch of records not seen before; answers its time in ms. */
async function timedBatch(resolver: EngineResolver): Promise<number> {
  const next = people.slice(arriving, arriving + batchSize);
  const ids = (await rows<{ id: number }>(db, sql`
    insert into registrations (village_code, external_id, service_code, submitted_at, applicant, status)
    select u.village, u.ext, 'KTP_EL_BARU', now(), u.applicant::jsonb, 'validated'
    from unnest(${arrayParam(next.map((p) => p.villageCode), 'text')}, ${arrayParam(next.map((_, k) => `rn-${arriving + k}`), 'text')},
      ${arrayParam(next.map(applicantOf), 'text')}) as u(village, ext, applicant) returning id`)).map((r) => r.id);
  arriving += batchSize;
  const started = performance.now();
  await identifyStage(ctx, ids, 'registration', resolver);
  return performance.now() - started;
}

// Pairs of citizens a reviewer will call the same, taken in order so no citizen is merged twice.
const citizens = [...registrationsOf.keys()];
let pairNo = 0;
async function mergeCase(): Promise<number> {
  const from = citizens[pairNo++]!;
  const into = citizens[pairNo++]!;
  const record = registrationsOf.get(from)![0]!;
  const [c] = await rows<{ id: number }>(db, sql`
    insert into review_cases (kecamatan_code, record_kind, record_id, citizen_id, candidate_citizen_id, score)
    values ('181201', 'registration', ${record}, ${from}, ${into}, 7) returning id`);
  return c!.id;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => `median ${median(xs).toFixed(0)} ms (${xs.map((x) => x.toFixed(0)).join(', ')})`;

const resolver = new EngineResolver();
const first = await timedBatch(resolver);
console.log(`first batch (index loaded whole): ${first.toFixed(0)} ms`);
await timedBatch(resolver);

const decideMs: number[] = [];
const afterMerge: number[] = [];
const afterSplit: number[] = [];
const afterReload: number[] = [];
for (let r = 0; r < rounds; r++) {
  const caseId = await mergeCase();
  let t0 = performance.now();
  await decideCase(db, ctx.queues, caseId, 'same', staff, 'bench');
  decideMs.push(performance.now() - t0);
  afterMerge.push(await timedBatch(resolver));
  t0 = performance.now();
  await splitCase(db, caseId, staff, 'bench');
  decideMs.push(performance.now() - t0);
  afterSplit.push(await timedBatch(resolver));
  // Before: any decision made the next batch load the whole index again.
  await decideCase(db, ctx.queues, await mergeCase(), 'same', staff, 'bench');
  resolver.aborted();
  afterReload.push(await timedBatch(resolver));
}
const steady: number[] = [];
for (let r = 0; r < rounds; r++) steady.push(await timedBatch(resolver));

console.log(`batches of ${batchSize} new records, ${total} linked records, ${rounds} rounds:`);
console.log(`  after a merge, moves replayed:     ${fmt(afterMerge)}`);
console.log(`  after a split, moves replayed:     ${fmt(afterSplit)}`);
console.log(`  after a merge, index loaded whole: ${fmt(afterReload)}   (before this change: every decision)`);
console.log(`  no decision in between:            ${fmt(steady)}`);
console.log(`  decideCase / splitCase themselves: ${fmt(decideMs)}`);
console.log(`resolver stats: ${JSON.stringify(resolver.stats)}`);
await bench.close();
