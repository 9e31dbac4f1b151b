/**
 * End-to-end throughput: N synthetic registrations pushed through the API in batches of 1,000, timed
 * until every one is routed to its agency queue. Real Postgres (a fresh database) and Redis.
 *   npm run bench -- --records 100000 --concurrency 4
 */
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { createKey } from '../src/api/keys.js';
import { rows } from '../src/db/client.js';
import { startBenchHub } from './benchHub.js';
import { applicant } from '../test/helpers/fixtures.js';

const { values } = parseArgs({ options: { records: { type: 'string', default: '100000' }, concurrency: { type: 'string', default: '4' } } });
const total = Number(values.records);
const concurrency = Number(values.concurrency);

const bench = await startBenchHub({ api: true, workers: true });
const { hub } = bench;
const key = (await createKey(hub.database.db, { role: 'village', villageCode: '1812012002' })).secret;

// Bodies are built before the clock starts: the benchmark measures the hub, not the generator.
const services = ['KTP_EL_BARU', 'KIA', 'LEGALISASI_DOKUMEN', 'PENGANTAR_SKCK', 'SURAT_PINDAH_DATANG'];
const bodies: string[] = [];
for (let i = 0; i < total; i += 1000) {
  bodies.push(JSON.stringify({
    registrations: Array.from({ length: Math.min(1000, total - i) }, (_, k) => ({
      externalId: `b-${i + k}`, service: services[(i + k) % services.length], applicant: applicant(i + k),
    })),
  }));
}

const started = performance.now();
let next = 0;
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < bodies.length) {
    const body = bodies[next++]!;
    const res = await fetch(`${hub.url}/v1/registrations`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
    if (res.status !== 202) throw new Error(`push failed: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }
}));
const pushed = performance.now();
// Poll the in-flight partial index (cheap), not a count over all registrations.
for (;;) {
  const [r] = await rows<{ moving: boolean }>(hub.database.db, sql`
    select exists(select 1 from registrations where status in ('accepted', 'validated', 'identified')) as moving`);
  if (!r!.moving) break;
  await new Promise((res) => setTimeout(res, 50));
}
const [routed] = await rows<{ n: number }>(hub.database.db, sql`select count(*)::int as n from registrations where status = 'routed'`);
if (routed!.n !== total) throw new Error(`only ${routed!.n} of ${total} routed`);
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({
  records: total, seconds: Number(seconds.toFixed(2)), recordsPerSecond: Math.round(total / seconds),
  acceptSeconds: Number(((pushed - started) / 1000).toFixed(2)), database: 'postgres', batch: 1000, concurrency,
}));

await bench.close();
