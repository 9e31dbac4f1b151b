/**
 * Statistics endpoints at kabupaten size: N citizens (default 300,000) with ~1.1 records each spread
 * over every tiyuh, 30,000 aid enrolments and 60,000 registrations over twelve weeks are written
 * straight into a fresh database (the pipeline is not under test), the summary tables are rebuilt, then
 * every /v1/stats endpoint is asked `--requests` times over HTTP, as the kabupaten admin (all tiyuh) and
 * as a kecamatan key. GET /v1/services in the same window is the baseline (the machine is noisy).
 * Also timed: the rebuild, and one incremental refresh after 1,000 citizens changed.
 *   npm run bench:stats -- [--citizens 300000] [--requests 30]
 */
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { arrayParam } from '../src/db/sqlArrays.js';
import { createKey } from '../src/api/keys.js';
import { rebuildStats, refreshStats } from '../src/stats/refresh.js';
import { startBenchHub } from './benchHub.js';

const { values } = parseArgs({ options: { citizens: { type: 'string', default: '300000' }, requests: { type: 'string', default: '30' }, explain: { type: 'string' } } });
const N = Number(values.citizens);
const REQUESTS = Number(values.requests);

const bench = await startBenchHub({ api: true, workers: false });
const { hub } = bench;
const db = hub.database.db;
const villages = [...hub.config.villages.keys()].filter((v) => v[6] === '2' || v[6] === '1');
const services = [...hub.config.services.values()];

const t0 = performance.now();
await db.execute(sql`
  insert into citizens (nik, kk, full_name, sex, birth_date, village_code)
  select case when i % 10 = 0 then null else lpad((1812010000000000 + i)::text, 16, '0') end,
    lpad((1812010000000000 + i / 4)::text, 16, '0'), 'Warga ' || i, case when i % 2 = 0 then 'F' else 'M' end,
    case when i % 12 = 0 then current_date - (i % 1800) else current_date - (i::bigint * 7919 % 29000)::int end,
    (${arrayParam(villages, 'text')})[1 + i % ${villages.length}]
  from generate_series(1, ${N}) i`);
// Every citizen's record where they live; one in ten also has a record in another tiyuh (a duplicate the hub removed).
await db.execute(sql`
  insert into resident_records (village_code, local_id, nik, kk, full_name, sex, birth_date, status_dasar, state, extra, content_hash, channel, status, citizen_id)
  select c.village_code, c.id::text, c.nik, c.kk, c.full_name, c.sex, c.birth_date,
    case when c.id % 50 = 0 then 2 else 1 end, case when c.id % 50 = 0 then 'dead' else 'active' end,
    case when c.sex = 'F' and c.id % 40 = 2 then '{"hamil":"1"}'::jsonb end, md5(c.id::text)::char(40), 'pull', 'identified', c.id
  from citizens c
  union all
  select (${arrayParam(villages, 'text')})[1 + (c.id::bigint * 31) % ${villages.length}], 'd' || c.id, c.nik, c.kk, c.full_name, c.sex, c.birth_date, 1, 'active', null,
    md5('d' || c.id)::char(40), 'pull', 'identified', c.id
  from citizens c where c.id % 10 = 3`);
await db.execute(sql`insert into citizen_records (citizen_id, record_kind, record_id, village_code, link) select citizen_id, 'resident', id, village_code, 'match' from resident_records`);
await db.execute(sql`
  insert into aid_programs (village_code, local_id, name, program_key, target, active, channel)
  select v, p::text, 'Program ' || p, 'PROGRAM-' || p, 1, true, 'opendk' from unnest(${arrayParam(villages, 'text')}) v, generate_series(1, 5) p`);
await db.execute(sql`
  insert into aid_participants (village_code, local_id, program_local_id, full_name, content_hash, resident_id, link, channel)
  select r.village_code, r.id::text, (1 + r.id % 5)::text, r.full_name, md5(r.id::text)::char(40), r.id, 'resident', 'opendk'
  from resident_records r where r.id % 11 = 0`);
// Double enrolment: one in 70 people known to two tiyuh is enrolled in Program 1 by both (~4,300 pairs).
await db.execute(sql`
  insert into aid_participants (village_code, local_id, program_local_id, full_name, content_hash, resident_id, link, channel)
  select r.village_code, 'x' || r.id, '1', r.full_name, md5('x' || r.id)::char(40), r.id, 'resident', 'opendk'
  from resident_records r where r.citizen_id % 70 = 3`);
await db.execute(sql`
  insert into registrations (village_code, external_id, service_code, applicant, status, route_agency, created_at, citizen_id)
  select (${arrayParam(villages, 'text')})[1 + i % ${villages.length}], 'r' || i, (${arrayParam(services.map((s) => s.code), 'text')})[1 + i % ${services.length}],
    '{}'::jsonb, 'routed', (${arrayParam(services.map((s) => s.agency), 'text')})[1 + i % ${services.length}], now() - (i % 84) * interval '1 day' - (i % 24) * interval '1 hour', i
  from generate_series(1, 60000) i`);
await db.execute(sql`
  insert into deliveries (registration_id, agency_code, level, queue, status, created_at, acked_at)
  select id, route_agency, 'kabupaten', 'kab:' || route_agency, case when id % 7 = 0 then 'waiting' else 'acked' end, created_at,
    case when id % 7 = 0 then null else created_at + (id % 300) * interval '1 minute' end
  from registrations`);
await db.execute(sql`analyze`);
const loaded = (performance.now() - t0) / 1000;
console.log(`loaded ${N.toLocaleString('en')} citizens in ${loaded.toFixed(1)} s`);

const rebuild = await rebuildStats(db, hub.config);
await db.execute(sql`analyze stats_people; analyze stats_village; analyze stats_village_age; analyze stats_aid; analyze stats_aid_village; analyze stats_aid_multi; analyze stats_service_week; analyze stats_agency_week; analyze stats_wait_hist; analyze stats_open_items`);
console.log(`stats rebuild: ${rebuild.citizens.toLocaleString('en')} living residents, ${rebuild.villages} villages in ${(rebuild.ms / 1000).toFixed(2)} s ${JSON.stringify(rebuild.steps)}`);

await db.execute(sql`update citizens set birth_date = birth_date - 1 where id in (select id from citizens order by id desc limit 1000)`);
const inc = await refreshStats(db, hub.config);
console.log(`incremental refresh after 1,000 changed citizens: ${inc.citizens} citizens, ${inc.villages} villages in ${inc.ms} ms ${JSON.stringify(inc.steps)}`);

if (values.explain) {
  // Prints the plans of statistics queries (files holding the SQL, comma-separated), then stops: for tuning.
  const { readFileSync } = await import('node:fs');
  for (const file of values.explain.split(',')) {
    console.log(`--- ${file}`);
    const plan = await db.execute(sql.raw(`explain (analyze, buffers) ${readFileSync(file, 'utf8')}`));
    for (const r of plan as unknown as Record<string, string>[]) console.log(Object.values(r)[0]);
  }
  await bench.close();
  process.exit(0);
}
const admin = (await createKey(db, { role: 'admin' })).secret;
const kec = (await createKey(db, { role: 'kecamatan', kecamatanCode: '181201' })).secret;

async function time(path: string, key: string): Promise<{ p50: number; p95: number; max: number; bytes: number }> {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < REQUESTS + 2; i++) {
    const s = performance.now();
    const res = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    const body = await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${new TextDecoder().decode(body).slice(0, 200)}`);
    if (i >= 2) ms.push(performance.now() - s);
    bytes = body.byteLength;
  }
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(ms.length / 2)]!, p95: ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.95))]!, max: ms[ms.length - 1]!, bytes };
}

const paths = [
  ['/v1/services (baseline)', '/v1/services', admin],
  ['villages, admin (all tiyuh)', '/v1/stats/villages', admin],
  ['villages, kecamatan key', '/v1/stats/villages?kecamatan=181201', kec],
  ['villages CSV, admin', '/v1/stats/villages?format=csv', admin],
  ['villages XLSX, admin', '/v1/stats/villages?format=xlsx', admin],
  ['pyramid, admin (kabupaten)', '/v1/stats/pyramid', admin],
  ['pyramid, one tiyuh', '/v1/stats/pyramid?village=1812012002', kec],
  ['quality, admin', '/v1/stats/quality', admin],
  ['services, admin (12 weeks)', '/v1/stats/services', admin],
  ['services, kecamatan key', '/v1/stats/services?kecamatan=181201', kec],
  ['aid reach, admin', '/v1/stats/aid', admin],
  ['double enrolment, admin', '/v1/stats/double-enrolment', admin],
  ['double enrolment, kecamatan', '/v1/stats/double-enrolment?kecamatan=181201', kec],
] as const;
const results: { name: string; p50: number; p95: number; max: number; bytes: number }[] = [];
for (const [name, path, key] of paths) results.push({ name, ...(await time(path, key)) });
const base = results[0]!.p50;
console.log(`\n${REQUESTS} requests each, ${N.toLocaleString('en')} citizens (ms):`);
console.log(`${'endpoint'.padEnd(32)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'max'.padStart(7)} ${'x base'.padStart(7)} ${'bytes'.padStart(9)}`);
for (const r of results) {
  console.log(`${r.name.padEnd(32)} ${r.p50.toFixed(1).padStart(7)} ${r.p95.toFixed(1).padStart(7)} ${r.max.toFixed(1).padStart(7)} ${(r.p50 / base).toFixed(1).padStart(7)} ${String(r.bytes).padStart(9)}`);
}
const worst = Math.max(...results.slice(1).map((r) => r.p95));
console.log(`\nworst p95 of a stats endpoint: ${worst.toFixed(1)} ms (target <= 200 ms)`);
await bench.close();
process.exitCode = worst <= 200 ? 0 : 1;
