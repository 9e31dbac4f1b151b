/**
 * Scheduled-sync throughput: the simulator (a child process, as a village server is another machine)
 * serves N generated residents through the Database Gabungan API; the hub pulls them with one
 * Gabungan source per kecamatan (pages of 500, no politeness delay), page jobs through BullMQ, each
 * page committed by ingestResidents and the cursor advanced. Real Postgres (a fresh database) and
 * Redis; the identity pipeline is off, so the clock measures pull → committed. The simulator serializes
 * its residents before the clock starts (--warm): its CPU stands for other machines'. Then the same again
 * (every record unchanged).
 *   npm run bench:sync -- --residents 100000 [--sources 9|1] [--concurrency 4] [--pages-per-job 6] [--first-only] [--identify]
 * `--identify` then starts the pipeline workers and times the identify stage over every pulled resident.
 */
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { workerConnection } from '../src/runtime/redis.js';
import { rows } from '../src/db/client.js';
import { arrayParam } from '../src/db/sqlArrays.js';
import { startSyncWorkers } from '../src/connectors/sync/worker.js';
import { requestSync } from '../src/connectors/sync/runs.js';
import { syncQueueOf } from '../src/connectors/sync/queue.js';
import { BENCH_REDIS_URL, peakRssMb, postgresCpuSeconds, processCpuSeconds, startBenchHub } from './benchHub.js';
import { configWithSources, SIM_LOGIN } from '../test/connectors/fixtures/syncConfig.js';

const { values } = parseArgs({ options: { residents: { type: 'string', default: '100000' }, sources: { type: 'string', default: '9' }, concurrency: { type: 'string', default: '4' }, 'pages-per-job': { type: 'string', default: '6' }, 'first-only': { type: 'boolean', default: false }, identify: { type: 'boolean', default: false } } });
const total = Number(values.residents);

const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'simulate', '--port', '0', '--warm', '--villages', 'all', '--residents', String(total), '--invalid-every', '0', '--rate-limit', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const simUrl = await new Promise<string>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); const m = / at (http:\/\/\S+)/.exec(out); if (m) resolve(m[1]!); });
  child.once('exit', (code) => reject(new Error(`simulator exited ${code}`)));
});
console.log(`simulator ready at ${simUrl}`);

const kecamatans = ['181201', '181202', '181203', '181204', '181205', '181206', '181207', '181208', '181209'];
// The simulator's throttle is off here, and so is the hub's budget in effect: the clock measures the hub.
const settings = { baseUrl: simUrl, ...SIM_LOGIN, pageSize: 500, rateLimit: { requests: 10_000, windowSeconds: 1 }, pagesPerJob: Number(values['pages-per-job']), minPageIntervalMs: 0, timeoutMs: 60_000 };
const sources = values.sources === '1'
  ? [{ id: 'gabungan-kab', connector: 'opensid-gabungan', enabled: true, settings }]
  : kecamatans.map((k) => ({ id: `gabungan-${k}`, kecamatanCode: k, connector: 'opensid-gabungan', enabled: true, settings }));

const bench = await startBenchHub({ api: false, workers: false }, { CONFIG_DIR: configWithSources(sources) });
const { hub } = bench;
const workers = await startSyncWorkers(hub.ctx, () => workerConnection(BENCH_REDIS_URL), { concurrency: Number(values.concurrency) });
const queue = syncQueueOf(hub.ctx.queues);

async function pullAll(label: string) {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const pg0 = await postgresCpuSeconds(hub);
  const sim0 = processCpuSeconds(child.pid!);
  const runIds: number[] = [];
  for (const s of sources) {
    const r = await requestSync(hub.ctx, queue, s.id, 'manual');
    if (r.status !== 'started') throw new Error(`${s.id}: ${r.status}`);
    runIds.push(r.runId);
  }
  for (;;) {
    const [x] = await rows<{ running: number; failed: number; accepted: number; quarantined: number; pages: number }>(hub.database.db, sql`
      select count(*) filter (where status = 'running')::int as running, count(*) filter (where status = 'failed')::int as failed,
        sum(records_accepted)::int as accepted, sum(records_quarantined)::int as quarantined, sum(pages)::int as pages
      from sync_runs where id = any(${arrayParam(runIds, 'int')})`);
    if (x!.running === 0) {
      const s = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const pg = (await postgresCpuSeconds(hub)) - pg0;
      const sim = processCpuSeconds(child.pid!) - sim0;
      console.log(`${label.padEnd(26)} ${x!.accepted + x!.quarantined} residents (${x!.accepted} accepted, ${x!.quarantined} quarantined, ${x!.pages} pages, ${x!.failed} failed runs) ` +
        `in ${s.toFixed(2)} s = ${Math.round((x!.accepted + x!.quarantined) / s)} residents/s; CPU s: hub ${((cpu.user + cpu.system) / 1e6).toFixed(1)}, postgres ${pg.toFixed(1)}, simulator ${sim.toFixed(1)}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

await pullAll(`first pull (${sources.length} source${sources.length > 1 ? 's' : ''})`);
if (!values['first-only']) await pullAll('re-pull, all unchanged');
const [n] = await rows<{ n: number; d: number }>(hub.database.db, sql`select count(*)::int as n, count(distinct (village_code, local_id))::int as d from resident_records`);
console.log(`resident_records: ${n!.n} rows, ${n!.d} distinct (village, id); load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`);

if (values.identify) {
  // The pipeline's identify stage over everything pulled: each resident linked to one citizen (the
  // first sync of a kabupaten). The workers start now; the index is built first, then the batches run.
  const { startWorkers } = await import('../src/pipeline/worker.js');
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const pg0 = await postgresCpuSeconds(hub);
  const pipeline = await startWorkers(hub.ctx, () => workerConnection(BENCH_REDIS_URL), { concurrency: Number(values.concurrency), sweepEverySeconds: 0 });
  for (;;) {
    const [x] = await rows<{ waiting: boolean }>(hub.database.db, sql`select exists(select 1 from resident_records where status = 'accepted') as waiting`);
    if (!x!.waiting) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const [c] = await rows<{ residents: number; citizens: number; cases: number }>(hub.database.db, sql`
    select (select count(*)::int from resident_records where status = 'identified') as residents,
      (select count(*)::int from citizens) as citizens, (select count(*)::int from review_cases) as cases`);
  console.log(`identify, all residents      ${c!.residents} residents -> ${c!.citizens} citizens, ${c!.cases} review cases, in ${s.toFixed(2)} s = ` +
    `${Math.round(c!.residents / s)} residents/s; CPU s: hub ${((cpu.user + cpu.system) / 1e6).toFixed(1)}, postgres ${((await postgresCpuSeconds(hub)) - pg0).toFixed(1)}; ` +
    `peak RSS of the hub process ${peakRssMb()} MB (index of every citizen held); ` +
    `${pipeline.identifyBatches.batches} batches, ${pipeline.identifyBatches.readAhead} read ahead`);
  await pipeline.close();
}

await workers.close();
await queue.close();
await bench.close();
child.kill('SIGTERM');
