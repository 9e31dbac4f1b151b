import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { ingestResidents } from '../../src/pipeline/intake/residents.js';
import { identifyStage } from '../../src/pipeline/stages/identify.js';
import { EngineResolver } from '../../src/pipeline/stages/engineResolver.js';
import { ANALYZE_AFTER, ANALYZE_STATISTICS_TARGET, analyzeDue, noteBulkWrite, statisticsSettled } from '../../src/db/statistics.js';
import { startTestHub } from '../helpers/hub.js';
import { applicant, MULYA_JAYA_05, PANARAGAN } from '../helpers/fixtures.js';

async function plan(db: Parameters<typeof rows>[0], query: string): Promise<string> {
  const [r] = await rows<{ 'QUERY PLAN': unknown }>(db, sql.raw(`explain (format json) ${query}`));
  return JSON.stringify(r!['QUERY PLAN']);
}

// The tables start never analyzed (a fresh database; this machine's autovacuum may never get to them):
// after a bulk load through the pipeline the resolver's lookups must still be index scans.
t.test('after a bulk load into never-analyzed tables the key lookups stay index scans', async (t) => {
  const th = await startTestHub(t, { workers: false });
  const { ctx } = th.hub;
  const db = th.hub.database.db;
  const [before] = await rows<{ reltuples: number }>(db, sql`select reltuples from pg_class where relname = 'citizen_records'`);
  t.equal(before?.reltuples, -1, 'citizen_records starts never analyzed');
  const ids: number[] = [];
  for (let page = 0; page < 10; page++) {
    const inputs = Array.from({ length: 1000 }, (_, i) => {
      const a = applicant(page * 1000 + i);
      return { localId: `s${page * 1000 + i}`, villageCode: PANARAGAN, fullName: a.fullName, nik: a.nik, kk: a.kk, sex: a.sex === 'M' ? '1' : '2', birthDate: a.birthDate };
    });
    const res = await ingestResidents(ctx, inputs, { channel: 'push', allowedVillages: null });
    ids.push(...res.records.map((r) => r.id!).filter(Boolean));
  }
  const resolver = new EngineResolver();
  for (let i = 0; i < ids.length; i += 1000) await identifyStage(ctx, ids.slice(i, i + 1000), 'resident', resolver);
  await statisticsSettled(db);
  const moves = await plan(db, 'select citizen_id, record_id from citizen_records where moved_seq > 0 order by moved_seq');
  t.notMatch(moves, /"Node Type":"(Seq Scan|Bitmap Heap Scan)"/, 'the resolver\'s moves: no scan of citizen_records');
  t.match(moves, /^\[\{"Plan":\{"Node Type":"Index Scan"/, 'an index scan');
  // Unanalyzed, Postgres guesses a third of the table moved (thousands of rows) and plans for that.
  t.ok(Number(/"Plan Rows":(\d+)/.exec(moves)?.[1]) < 100, `estimated rows from real statistics (${/"Plan Rows":(\d+)/.exec(moves)?.[1]})`);
  const [after] = await rows<{ reltuples: number }>(db, sql`select reltuples from pg_class where relname = 'citizen_records'`);
  t.ok((after?.reltuples ?? 0) >= 5_000, `citizen_records analyzed within a doubling of its 10,000 rows (${after?.reltuples})`);
  // The hub's own ANALYZE samples at its lower target: a histogram of at most target + 1 bounds.
  const [hist] = await rows<{ n: number }>(db, sql`
    select array_length(histogram_bounds::text::text[], 1) as n from pg_stats where tablename = 'citizen_records' and attname = 'record_id'`);
  t.ok(hist && hist.n > 1 && hist.n <= ANALYZE_STATISTICS_TARGET + 1, `record_id histogram of ${hist?.n} bounds`);
  const inflight = await plan(db, `select id from resident_records where status = 'accepted' and updated_at < now() - interval '20 seconds' order by id limit 20000`);
  t.notMatch(inflight, /"Node Type":"Seq Scan"/, 'the sweep\'s lookup: no scan of resident_records');
});

t.test('an ANALYZE leaves record bodies (jsonb) out of the statistics and keeps the keys', async (t) => {
  const th = await startTestHub(t, { workers: false });
  const db = th.hub.database.db;
  const key = await th.key('village', { villageCode: PANARAGAN });
  const res = await fetch(`${th.url}/v1/registrations`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ registrations: Array.from({ length: 50 }, (_, i) => ({ externalId: `st-${i}`, service: 'KTP_EL_BARU', applicant: applicant(300 + i) })) }),
  });
  t.equal(res.status, 202);
  await db.execute(sql`analyze registrations`);
  await db.execute(sql`analyze inbox`);
  const cols = await rows<{ tablename: string; attname: string }>(db, sql`
    select tablename, attname from pg_stats where schemaname = current_schema() and tablename in ('registrations', 'inbox')`);
  const has = (table: string, col: string) => cols.some((c) => c.tablename === table && c.attname === col);
  t.ok(has('registrations', 'village_code') && has('registrations', 'external_id') && has('registrations', 'status'), 'key columns have statistics');
  t.notOk(has('registrations', 'applicant') || has('registrations', 'details'), 'no statistics of applicants or details');
  t.notOk(has('inbox', 'payload') || has('inbox', 'response'), 'no statistics of inbox bodies');
});

t.test('an ANALYZE leaves free text (names, places, addresses) out of residents\' and citizens\' statistics', async (t) => {
  const th = await startTestHub(t, { workers: false });
  const { ctx } = th.hub;
  const db = th.hub.database.db;
  const inputs = Array.from({ length: 200 }, (_, i) => {
    const a = applicant(500 + i);
    return {
      localId: `ft${i}`, villageCode: PANARAGAN, fullName: a.fullName, nik: a.nik, kk: a.kk, sex: a.sex === 'M' ? '1' : '2', birthDate: a.birthDate,
      birthPlace: 'Panaragan', motherName: a.motherName, address: 'Jl. Lintas Sumatera', dusun: 'Dusun 1',
    };
  });
  const res = await ingestResidents(ctx, inputs, { channel: 'push', allowedVillages: null });
  await identifyStage(ctx, res.records.map((r) => r.id!).filter(Boolean), 'resident', new EngineResolver());
  await statisticsSettled(db);
  await db.execute(sql`analyze resident_records`);
  await db.execute(sql`analyze citizens`);
  const cols = await rows<{ tablename: string; attname: string }>(db, sql`
    select tablename, attname from pg_stats where schemaname = current_schema() and tablename in ('resident_records', 'citizens')`);
  const of = (table: string) => cols.filter((c) => c.tablename === table).map((c) => c.attname);
  t.ok(['village_code', 'nik', 'kk', 'status', 'citizen_id', 'birth_date'].every((c) => of('resident_records').includes(c)), 'residents\' key columns have statistics');
  t.same(of('resident_records').filter((c) => ['full_name', 'birth_place', 'mother_name', 'father_name', 'address', 'dusun', 'content_hash'].includes(c)), [], 'no statistics of residents\' free text or content hash');
  t.ok(['nik', 'kk', 'village_code'].every((c) => of('citizens').includes(c)), 'citizens\' key columns have statistics');
  t.same(of('citizens').filter((c) => ['full_name', 'birth_place', 'mother_name', 'address'].includes(c)), [], 'no statistics of citizens\' free text');
});

t.test(`a table is analyzed again after ${ANALYZE_AFTER} rows or its size, whichever is more`, async (t) => {
  t.equal(ANALYZE_AFTER, 500);
  t.notOk(analyzeDue(499, 0));
  t.ok(analyzeDue(500, 0));
  t.notOk(analyzeDue(10_000, 20_000));
  t.ok(analyzeDue(20_000, 20_000));
  t.notOk(analyzeDue(99_999, 100_000));
  t.ok(analyzeDue(100_000, 100_000));
  // From empty to 250,000 rows in batches of 1,000: one ANALYZE per doubling, not one per 10,000 rows.
  let size = 0;
  let written = 0;
  let runs = 0;
  for (let i = 0; i < 250; i++) {
    written += 1000;
    if (analyzeDue(written, size)) { size += written; written = 0; runs++; }
  }
  t.ok(runs <= 9, `${runs} ANALYZEs`);
});

// Statements keep their plan (postgres.js prepares them; Postgres keeps a generic plan) until a table
// they read is analyzed: a new hub's tables must be analyzed while small, or a plan made on an empty
// table scans it whole for every push until the first ANALYZE.
t.test('single pushes into a new hub: registrations and inbox are analyzed within their first thousand rows', async (t) => {
  const th = await startTestHub(t, { workers: false });
  const db = th.hub.database.db;
  // Two villages' keys: 600 pushes of one key in a minute would meet its rate limit.
  const keys = [await th.key('village', { villageCode: PANARAGAN }), await th.key('village', { villageCode: MULYA_JAYA_05 })];
  const reltuples = async () => Object.fromEntries((await rows<{ relname: string; n: number }>(db, sql`
    select relname, reltuples::int as n from pg_class where relname in ('registrations', 'inbox') and relkind = 'r'`)).map((r) => [r.relname, r.n]));
  t.same(await reltuples(), { registrations: -1, inbox: -1 }, 'both start never analyzed');
  for (let wave = 0; wave < 20; wave++) {
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => fetch(`${th.url}/v1/registrations`, {
      method: 'POST', headers: { authorization: `Bearer ${keys[i % 2]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ externalId: `an-${wave}-${i}`, service: 'KTP_EL_BARU', applicant: applicant(2000 + wave * 50 + i) }),
    })));
    t.ok(answers.every((a) => a.status === 202), `wave ${wave} accepted`);
  }
  await statisticsSettled(db);
  const n = await reltuples();
  t.ok(n.registrations! >= ANALYZE_AFTER, `registrations analyzed (${n.registrations} rows)`);
  t.ok(n.inbox! >= ANALYZE_AFTER, `inbox analyzed (${n.inbox} rows)`);
  // Planned afresh from those statistics, the group commit's lookups are by index.
  const known = await plan(db, `select id from registrations r where r.village_code = '${PANARAGAN}'::char(10) and r.external_id = 'an-3-3'`);
  t.notMatch(known, /"Node Type":"Seq Scan"/, 'a known externalId: no scan of registrations');
  const idem = await plan(db, `select 1 from inbox i where i.api_key_id = 1 and i.idempotency_key = 'k'`);
  t.notMatch(idem, /"Node Type":"Seq Scan"/, 'an Idempotency-Key: no scan of inbox');
});

t.test('a hub closing while its background ANALYZE runs waits for it: the ANALYZE completes and nothing fails', async (t) => {
  const th = await startTestHub(t, { workers: false });
  const { ctx } = th.hub;
  const [before] = await rows<{ n: number }>(ctx.db, sql`select reltuples::int as n from pg_class where relname = 'deliveries'`);
  t.equal(before?.n, -1, 'deliveries never analyzed');
  // The ANALYZE is held on a lock until the close has begun, as a long one on a big table would be.
  let release!: () => void;
  const released = new Promise<void>((r) => { release = r; });
  let locked!: () => void;
  const holding = th.db.database.db.transaction(async (tx) => {
    await tx.execute(sql`lock table deliveries in share update exclusive mode`);
    locked();
    await released;
  });
  await new Promise<void>((r) => { locked = r; });
  noteBulkWrite(ctx.db, 'deliveries', ANALYZE_AFTER, ctx.log);
  const closing = th.hub.close();
  await new Promise((r) => setTimeout(r, 300));
  release();
  await holding;
  await closing;
  await statisticsSettled(ctx.db); // on a close that did not wait, the failure is logged by now
  t.notMatch(th.logs.text, /analyze failed/, 'no ANALYZE cut off by the closed pool');
  const [after] = await rows<{ n: number }>(th.db.database.db, sql`select reltuples::int as n from pg_class where relname = 'deliveries'`);
  t.equal(after?.n, 0, 'the ANALYZE ran to the end (an empty table counts 0 rows)');
});
