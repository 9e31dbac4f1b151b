/**
 * Statistics endpoints at kabupaten size: N citizens (default 300,000) with ~1.1 records each spread
 * over every tiyuh, 30,000 aid enrolments and 60,000 registrations over twelve weeks are written
 * straight into a fresh database (the pipeline is not under test), the summary tables are rebuilt, then
 * every /v1/stats endpoint is asked `--requests` times over HTTP, as the kabupaten admin (all tiyuh) and
 * as a kecamatan key. GET /v1/services in the same window is the baseline (the machine is noisy).
 * Also timed: the rebuild, one incremental refresh after 1,000 citizens changed and one after 1,000 new
 * registrations and 200 acknowledgements.
 *   npm run bench:stats -- [--citizens 300000] [--requests 30]
 */
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { createKey } from '../src/api/keys.js';
import { rebuildStats, refreshStats } from '../src/stats/refresh.js';
import { arrayParam } from '../src/db/sqlArrays.js';
import { startBenchHub } from './benchHub.js';
import { loadPopulation } from './population.js';

const { values } = parseArgs({ options: { citizens: { type: 'string', default: '300000' }, requests: { type: 'string', default: '30' }, explain: { type: 'string' } } });
const N = Number(values.citizens);
const REQUESTS = Number(values.requests);

const bench = await startBenchHub({ api: true, workers: false });
const { hub } = bench;
const db = hub.database.db;
const villages = [...hub.config.villages.keys()].filter((v) => v[6] === '2' || v[6] === '1');
const services = [...hub.config.services.values()];

const t0 = performance.now();
await loadPopulation(db, { citizens: N, villages, services });
const loaded = (performance.now() - t0) / 1000;
console.log(`loaded ${N.toLocaleString('en')} citizens in ${loaded.toFixed(1)} s`);

const rebuild = await rebuildStats(db, hub.config);
await db.execute(sql`analyze stats_people; analyze stats_village; analyze stats_village_age; analyze stats_aid; analyze stats_aid_village; analyze stats_aid_multi; analyze stats_service_week; analyze stats_agency_week; analyze stats_wait_hist; analyze stats_open_items`);
console.log(`stats rebuild: ${rebuild.citizens.toLocaleString('en')} living residents, ${rebuild.villages} villages in ${(rebuild.ms / 1000).toFixed(2)} s ${JSON.stringify(rebuild.steps)}`);

await db.execute(sql`update citizens set birth_date = birth_date - 1 where id in (select id from citizens order by id desc limit 1000)`);
const inc = await refreshStats(db, hub.config);
console.log(`incremental refresh after 1,000 changed citizens: ${inc.citizens} citizens, ${inc.villages} villages in ${inc.ms} ms ${JSON.stringify(inc.steps)}`);

// A busy hour of the MPP: 1,000 registrations this week routed, and 200 waiting items taken by their agency.
await db.execute(sql`
  insert into registrations (village_code, external_id, service_code, applicant, status, route_agency)
  select (${arrayParam(villages, 'text')})[1 + i % ${villages.length}], 'n' || i, (${arrayParam(services.map((s) => s.code), 'text')})[1 + i % ${services.length}],
    '{}'::jsonb, 'routed', (${arrayParam(services.map((s) => s.agency), 'text')})[1 + i % ${services.length}]
  from generate_series(1, 1000) i`);
await db.execute(sql`
  insert into deliveries (registration_id, agency_code, level, queue, status)
  select id, route_agency, 'kabupaten', 'kab:' || route_agency, 'waiting' from registrations where external_id like 'n%'`);
await db.execute(sql`update deliveries set status = 'acked', acked_at = now() where id in (select id from deliveries where status = 'waiting' order by id limit 200)`);
const afterRegistrations = await refreshStats(db, hub.config);
console.log(`incremental refresh after 1,000 new registrations and 200 acknowledgements: ${afterRegistrations.ms} ms ${JSON.stringify(afterRegistrations.steps)}`);

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
